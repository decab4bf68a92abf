// Waiting for something that may never finish (a Redis that went away, a hung git request), bounded:
// shared by the service's shutdown, the BullMQ queue's close and the Redis state store's close.

/** True if `promise` settles (either way) within `ms`; the timer is cleared either way. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
