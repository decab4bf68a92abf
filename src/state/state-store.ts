// What replicas must share (SPEC §7, STYLE rule 11): the picks, each image's last scan, each
// automation's last run and what its branch's history says about reverts. One interface, two
// backends with one contract suite (test/state/): files in stateDir for one process, Redis for
// several (whenever queue.redisUrl is set). Values are JSON; a store that cannot be read is a
// TransientError, so a caller fails and is retried, never carrying on as if nothing were stored.

/** A JSON value with the version it was written at (a scan's start time, say). */
export interface Versioned<T> {
  version: number;
  value: T;
}

/** A key-value store shared by every process that uses the same stateDir or Redis. */
export interface StateStore {
  /** The values stored under `keys`; a key with nothing stored is absent from the map. */
  get<T>(keys: readonly string[]): Promise<Map<string, Versioned<T>>>;
  /**
   * Stores `value` at `version` unless what is stored has a version of at least that (the check and
   * the write are one step for every replica); true when stored. Older news never overwrites newer.
   */
  put<T>(key: string, value: T, version: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The store for a config: Redis when the queue is in Redis (so every replica sees one truth), else files. */
export async function createStateStore(options: { stateDir: string; redisUrl?: string | undefined; prefix?: string }): Promise<StateStore> {
  if (options.redisUrl) {
    // Loaded only when asked for, as the BullMQ queue is: one process never pulls in ioredis.
    const { RedisStateStore } = await import('./redis-state-store.js');
    return new RedisStateStore(options.redisUrl, options.prefix);
  }
  const { FileStateStore } = await import('./file-state-store.js');
  return new FileStateStore(options.stateDir);
}
