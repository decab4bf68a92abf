// When to try again, shared by the registry client, the git client and the queues: the peer's
// Retry-After (RFC 9110 §10.2.3: delta seconds or an HTTP date), else exponential backoff.

/**
 * base × 2^(attempt-1), capped at `maxDelayMs`, then scaled by a random 50–100% ("equal jitter")
 * so that clients and replicas do not retry in step.
 */
export function exponentialBackoff(baseDelayMs: number, attempt: number, maxDelayMs = Number.POSITIVE_INFINITY): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/** How long the peer asked us to wait, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse accepts "3" or "1.5" as years, so only something that looks like an HTTP date is read as one.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
