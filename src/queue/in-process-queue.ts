// The default queue: jobs in this process's memory. A crash loses waiting jobs, which is safe here
// because every job is recomputed from the registry and git on the next scheduled pass.
import { TransientError } from '../errors.js';
import {
  DEFAULT_JOB_RETRY,
  jobBackoff,
  type JobHandlers,
  type JobKind,
  type JobQueue,
  type QueueLogger,
  type RetryPolicy,
} from './job-queue.js';

const JOB_KINDS: readonly JobKind[] = ['scan', 'write'];

/** What times a retry's backoff: Node's timers, or a test's that can end a backoff at once. */
export interface QueueTimers {
  setTimeout(callback: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

interface Slot {
  running: boolean;
  /** Another run was asked for while this one was waiting or running. */
  again: boolean;
}

/** An in-memory JobQueue: one run at a time per key, coalescing, bounded concurrency per kind. */
export class InProcessQueue implements JobQueue {
  readonly shared = false;
  private handlers: JobHandlers | null = null;
  private readonly slots = new Map<string, Slot>();
  /**
   * Jobs ready to run once their kind has a free slot, first come first served; a retry waits here
   * like any other job. One line per kind, so a finished job starts the next of its kind at once
   * instead of walking past every waiting job of a full kind (1,000 images' start-up pass).
   */
  private readonly waiting: Record<JobKind, Array<{ key: string; attempt: number }>> = { scan: [], write: [] };
  private readonly active: Record<JobKind, number> = { scan: 0, write: 0 };
  private readonly idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly clock: QueueTimers;

  constructor(
    private readonly options: {
      concurrency?: Partial<Record<JobKind, number>>;
      retry?: RetryPolicy;
      log?: QueueLogger;
      /** Tests only: the timers retries wait on (default Node's). */
      timers?: QueueTimers;
    } = {},
  ) {
    this.clock = options.timers ?? { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (timer) => clearTimeout(timer) };
  }

  async start(handlers: JobHandlers): Promise<void> {
    this.handlers = handlers;
    this.pump();
  }

  async add(kind: JobKind, key: string): Promise<void> {
    if (this.closed) return;
    const id = `${kind}:${key}`;
    const slot = this.slots.get(id);
    if (slot) {
      slot.again = slot.running;
      return;
    }
    this.slots.set(id, { running: false, again: false });
    this.waiting[kind].push({ key, attempt: 1 });
    this.pump();
  }

  /** One process has nobody to share a schedule with. */
  async addScheduled(kind: JobKind, key: string): Promise<boolean> {
    if (this.closed) return false;
    await this.add(kind, key);
    return true;
  }

  async idle(): Promise<void> {
    if (this.slots.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async depth(): Promise<number> {
    return this.slots.size;
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    for (const kind of JOB_KINDS) this.waiting[kind].length = 0;
    for (const [id, slot] of this.slots) if (!slot.running) this.slots.delete(id);
    this.notifyIdle();
    await this.idle();
  }

  private limit(kind: JobKind): number {
    return this.options.concurrency?.[kind] ?? (kind === 'scan' ? 8 : 2);
  }

  private pump(): void {
    if (!this.handlers || this.closed) return;
    for (const kind of JOB_KINDS) {
      const line = this.waiting[kind];
      while (line.length > 0 && this.active[kind] < this.limit(kind)) {
        const job = line.shift()!;
        void this.run(kind, job.key, job.attempt);
      }
    }
  }

  private async run(kind: JobKind, key: string, attempt: number): Promise<void> {
    const id = `${kind}:${key}`;
    const slot = this.slots.get(id)!;
    slot.running = true;
    slot.again = false;
    this.active[kind]++;
    let retryIn: number | null = null;
    try {
      await this.handlers![kind](key);
    } catch (err) {
      const retry = this.options.retry ?? DEFAULT_JOB_RETRY;
      if (err instanceof TransientError && attempt < retry.attempts && !this.closed) {
        retryIn = err.retryAfterMs ?? jobBackoff(retry, attempt);
        this.options.log?.warn({ kind, key, attempt, retryInMs: retryIn, err: err.message }, 'job failed; retrying');
      } else {
        this.options.log?.error({ kind, key, attempt, err: (err as Error).message }, 'job failed');
      }
    } finally {
      this.active[kind]--;
      slot.running = false;
    }
    if (retryIn !== null && !slot.again) {
      // Through `waiting`, not straight to run(): a retry takes a slot of its kind like any job.
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer);
        if (this.closed) return this.finish(id);
        this.waiting[kind].push({ key, attempt: attempt + 1 });
        this.pump();
      }, retryIn);
      this.timers.add(timer);
    } else if (slot.again && !this.closed) {
      slot.again = false;
      this.waiting[kind].push({ key, attempt: 1 });
    } else {
      this.finish(id);
    }
    this.pump();
  }

  private finish(id: string): void {
    this.slots.delete(id);
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.slots.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
