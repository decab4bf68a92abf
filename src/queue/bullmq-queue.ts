// The Redis backend (SPEC §7): jobs live in Redis through BullMQ, so several replicas share them and
// a job whose replica died runs again on another one.
//
// One key at a time, and coalescing, across replicas. BullMQ's groups (one job at a time per key)
// are Pro-only, so every add carries BullMQ's deduplication with `keepLastIfActive`, one id per key
// (https://docs.bullmq.io/guide/jobs/deduplication):
//  - while the key's job waits (or sits in retry backoff), another add is absorbed by it;
//  - while it runs, another add is parked in Redis (`<queue>:dn:<key>`) and turned into a waiting job
//    by the same Lua script that finishes the running one; twenty adds park one.
// Both decisions run inside BullMQ's Lua scripts, atomically against every replica, so a key never
// has more than one job that is waiting or running: no two runs of a key overlap, and a burst during
// a run makes exactly one more run, which reads the latest state. That is the in-process queue's
// `again` flag, kept in Redis. Rejected alternatives: a deterministic jobId dedupes waiting jobs but
// has no "one more run afterwards" without a second flag that races the job's finish; a per-key
// Redis mutex lets workers take jobs they cannot run yet and spin on the lock.
//
// BullMQ still has one way to overlap: a worker that stops renewing its lock (event loop blocked for
// longer than the lock duration) loses the job to the stalled checker while it keeps running. The
// write step is idempotent (committing a tag that is already there changes nothing), which is also
// what makes the crash case safe: a killed worker's job runs again from the start.
//
// How soon a killed replica's job runs again (SPEC §7: within 15 s of a replica being up). A running
// job holds a lock key that its worker renews; a dead worker's lock expires LOCK_DURATION_MS after
// its last renewal. Every STALLED_INTERVAL_MS some worker's stalled check moves the active jobs that
// the previous check marked and that have no lock back to `wait`, and marks the active ones again
// (two phases: moveStalledJobsToWait-9.lua). So a replica that comes up after a crash runs the job
// at most LOCK_DURATION_MS + STALLED_INTERVAL_MS after the kill — 10 s, less the time it took to
// come up — instead of BullMQ's 30 s + 30 s. The price, and why not shorter still:
//  - a worker whose event loop is blocked for longer than the lock has left to run loses the job to
//    another replica while it still runs; renewing every LOCK_RENEW_MS keeps that margin at 6 s;
//    the overlap costs a duplicate run, never a duplicate commit (the second push finds the change made);
//  - each worker (two per replica) runs the stalled-check script every 2 s and renews each running
//    job's lock every 2 s: a few small Redis calls a second in all.
import { setTimeout as sleep } from 'node:timers/promises';
import { isNotConnectionError, Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage, TransientError } from '../errors.js';
import {
  DEFAULT_JOB_RETRY,
  jobBackoff,
  type JobHandlers,
  type JobKind,
  type JobQueue,
  type QueueLogger,
  type RetryPolicy,
} from './job-queue.js';
import { settlesWithin } from '../settles-within.js';

/** Constructor options of BullmqQueue. */
export interface BullmqQueueOptions {
  /** redis:// or rediss:// URL (config `queue.redisUrl`). */
  redisUrl: string;
  /** Starts every Redis key, so deployments (and tests) can share one Redis; default `tagpilot`. */
  prefix?: string;
  retry?: RetryPolicy;
  log?: QueueLogger;
  /** Jobs of each kind this replica runs at once (default as in-process: scan 8, write 2). */
  concurrency?: Partial<Record<JobKind, number>>;
  /**
   * Tests only: the lock duration and stalled-check interval both (default LOCK_DURATION_MS and
   * STALLED_INTERVAL_MS), so a dead replica's job is handed on within about twice this.
   */
  stalledIntervalMs?: number;
}

interface JobData {
  key: string;
}

const KINDS: readonly JobKind[] = ['scan', 'write'];
const DEFAULT_CONCURRENCY: Record<JobKind, number> = { scan: 8, write: 2 };
/** A job may take its replica down this many times before it fails for good: one unlucky deploy
 * is survived, a job that kills every worker (out of memory on a huge repository) is not retried forever. */
const MAX_STALLED = 2;
/** How long a running job's lock outlives its worker's last renewal (see the header). */
export const LOCK_DURATION_MS = 8_000;
/** How often a worker renews its running jobs' locks: a blocked event loop has 6 s before a lock lapses. */
export const LOCK_RENEW_MS = 2_000;
/** How often a worker looks for jobs whose lock lapsed (a replica died), and hands them on. */
export const STALLED_INTERVAL_MS = 2_000;
const BACKOFF_TYPE = 'tagpilot';
const READY_TIMEOUT_MS = 1_000;
/** Reconnect after 0.2 s, 0.4 s, … at most 2 s (BullMQ's default grows to 20 s): a replica resumes
 * soon after a Redis restart, and close() does not wait long for a connection to come back. */
const reconnectDelay = (attempt: number): number => Math.min(200 * attempt, 2_000);
const IDLE_POLL_MS = 25;
/** How long close() waits for Redis to come back: a few reconnect attempts. */
const RECONNECT_GRACE_MS = 5_000;
/** The scheduler's tick is one second, so a replica's firings are `everyMs` to `everyMs` + 1 s apart;
 * a claim shorter than `everyMs` has always expired by the same replica's next firing. */
const SCHEDULE_CLAIM_SHARE = 0.9;

/** A JobQueue in Redis shared by every replica using the same `redisUrl` and `prefix`. */
export class BullmqQueue implements JobQueue {
  readonly shared = true;
  private readonly prefix: string;
  private readonly queues: Record<JobKind, Queue<JobData>>;
  private readonly workers = new Map<JobKind, ClosableWorker>();
  /** Our own connection for PING and schedule claims; BullMQ's are busy blocking for jobs. */
  private readonly redis: Redis;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | null = null;
  /** Handlers running in this process, so close() can wait for them even when BullMQ cannot. */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: BullmqQueueOptions) {
    this.prefix = options.prefix ?? 'tagpilot';
    this.queues = { scan: this.createQueue('scan'), write: this.createQueue('write') };
    // Assigned through a const: see RedisStateStore's constructor (tsc's cost of a contextually typed `new Redis`).
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: reconnectDelay });
    this.redis = redis;
    // Connection trouble is logged once per reconnect attempt, here; see reportError.
    this.redis.on('error', (err: Error) => this.options.log?.warn({ err: err.message }, 'redis connection error'));
  }

  async start(handlers: JobHandlers): Promise<void> {
    if (this.workers.size > 0 || this.state !== 'open') return;
    for (const kind of KINDS) this.workers.set(kind, this.createWorker(kind, handlers[kind]));
    await Promise.all([...this.workers.values()].map((worker) => worker.waitUntilReady()));
    // Connected before start() returns, so ready() answers true from then on.
    await this.redis.ping();
  }

  async add(kind: JobKind, key: string): Promise<void> {
    // While closing, the queue still writes to Redis so another replica takes the job; only after
    // the connections are gone is a request dropped, as the in-process queue drops it.
    if (this.state === 'closed') {
      this.options.log?.warn({ kind, key }, 'queue closed; request dropped');
      return;
    }
    await this.queues[kind].add(kind, { key }, this.jobOptions(key));
  }

  /**
   * Like add, but at most once per `everyMs` for this key across replicas; false when another replica
   * already claimed this interval. Each replica's Scheduler fires every key on its own random offset,
   * and deduplication only merges requests that meet a waiting or running job, so without the claim
   * N replicas would scan each image N times per interval.
   */
  async addScheduled(kind: JobKind, key: string, everyMs: number): Promise<boolean> {
    if (this.state === 'closed') return false;
    const claimMs = Math.max(1, Math.floor(everyMs * SCHEDULE_CLAIM_SHARE));
    const claimed = await this.redis.set(`${this.prefix}:schedule:${kind}:${key}`, '1', 'PX', claimMs, 'NX');
    if (claimed !== 'OK') return false;
    await this.add(kind, key);
    return true;
  }

  /** Resolves once no job of this prefix waits, backs off or runs on any replica. */
  async idle(): Promise<void> {
    while (this.state !== 'closed' && (await this.depth()) > 0) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
  }

  /** Jobs waiting, backing off or running on any replica (a parked "one more run" is not counted). */
  async depth(): Promise<number> {
    let pending = 0;
    for (const kind of KINDS) {
      const counts = await this.queues[kind].getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      for (const count of Object.values(counts)) pending += count;
    }
    return pending;
  }

  async ready(): Promise<boolean> {
    // Only a connected client is asked: a PING issued while reconnecting would wait in ioredis's
    // offline queue, and /readyz wants an answer now.
    if (this.state !== 'open' || this.redis.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)));
    const ping = this.redis.ping().then((reply) => reply === 'PONG', () => false);
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.state = 'closing';
    // Waiting jobs stay in Redis for the other replicas or the next start.
    await Promise.all([...this.workers].map(([kind, worker]) => this.closeWorker(kind, worker)));
    this.state = 'closed';
    // Both answer a QUIT at once when offline (ioredis does not send it); the bound is for a Redis
    // that stops answering without closing the connection.
    for (const kind of KINDS) {
      const queue = this.queues[kind];
      if (!(await settlesWithin(queue.close(), this.closeGraceMs))) (await connectedNow(queue.backend.client))?.disconnect();
    }
    if (!(await settlesWithin(this.redis.quit(), this.closeGraceMs))) this.redis.disconnect();
  }

  /**
   * Worker.close() stops fetching, waits for its running jobs and records their outcome, then waits
   * for its blocking connection to end. It can hang for ever in two ways, both handled here:
   *  - an ioredis client parked in `reconnecting` never ends, so after a Redis blip close() would not
   *    return even with Redis back (https://github.com/taskforcesh/bullmq/issues/4656): we close
   *    once the blocking connection is back;
   *  - with Redis down no outcome can be recorded: once our handlers are done and Redis has had a
   *    few reconnect attempts, we stop waiting. The job's lock expires and a replica runs it again
   *    as stalled; the write step being idempotent, nothing is committed twice.
   */
  private async closeWorker(kind: JobKind, worker: ClosableWorker): Promise<void> {
    const blocking = await connectedNow(worker.backend.blockingClient);
    // Never connected (Redis down since start): it holds no job, and close() would wait for a Redis that never came.
    if (!blocking) return worker.abandon();
    const deadline = Date.now() + this.closeGraceMs;
    while (blocking && blocking.status !== 'ready' && Date.now() < deadline) await sleep(50);
    const closed = worker.close().catch((err: Error) => this.reportError(kind, err));
    await this.handlersFinished();
    if (!(await settlesWithin(closed, this.closeGraceMs))) {
      this.options.log?.warn({ kind }, 'redis unreachable while closing; running jobs will be recovered as stalled');
      await worker.abandon();
    }
  }

  private async handlersFinished(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private get lockDurationMs(): number {
    return this.options.stalledIntervalMs ?? LOCK_DURATION_MS;
  }

  private get stalledIntervalMs(): number {
    return this.options.stalledIntervalMs ?? STALLED_INTERVAL_MS;
  }

  /** Waiting longer than a lock duration for Redis saves nothing: the job is handed on by then. */
  private get closeGraceMs(): number {
    return Math.min(this.lockDurationMs, RECONNECT_GRACE_MS);
  }

  private jobOptions(key: string): JobsOptions {
    const retry = this.options.retry ?? DEFAULT_JOB_RETRY;
    return {
      // The queue (one per kind) namespaces the id, so the key alone is unique.
      deduplication: { id: key, keepLastIfActive: true },
      attempts: retry.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      // Failed jobs stay a week for inspection; their dedup id is released when they fail.
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    };
  }

  /** BullMQ's own connections would repeat every connection error six times over. */
  private reportError(kind: JobKind, err: Error): void {
    if (!isConnectionError(err)) this.options.log?.error({ kind, err: err.message }, 'queue error');
  }

  /** BullMQ opens (and closes) its own connections from these options: two per worker, one per queue. */
  private connection() {
    return { url: this.options.redisUrl, retryStrategy: reconnectDelay };
  }

  private createQueue(kind: JobKind): Queue<JobData> {
    const queue = new Queue<JobData>(kind, { connection: this.connection(), prefix: this.prefix });
    queue.on('error', (err: Error) => this.reportError(kind, err));
    return queue;
  }

  private createWorker(kind: JobKind, handler: (key: string) => Promise<void>): ClosableWorker {
    const retry = this.options.retry ?? DEFAULT_JOB_RETRY;
    const worker = new ClosableWorker(
      kind,
      async (job: Job<JobData>) => {
        const run = handler(job.data.key);
        this.running.add(run);
        try {
          await run;
        } catch (err) {
          if (err instanceof TransientError) throw err;
          // Bad input fails the same way every time: no retry, whatever attempts are left.
          throw new UnrecoverableError(errorMessage(err));
        } finally {
          this.running.delete(run);
        }
      },
      {
        connection: this.connection(),
        prefix: this.prefix,
        concurrency: this.options.concurrency?.[kind] ?? DEFAULT_CONCURRENCY[kind],
        lockDuration: this.lockDurationMs,
        // A test's short lock is renewed at BullMQ's default, half of it.
        lockRenewTime: this.options.stalledIntervalMs === undefined ? LOCK_RENEW_MS : undefined,
        stalledInterval: this.stalledIntervalMs,
        maxStalledCount: MAX_STALLED,
        settings: {
          // The peer's Retry-After wins over our own backoff, as in the in-process queue.
          backoffStrategy: (attempt, _type, err) =>
            err instanceof TransientError && err.retryAfterMs !== undefined ? err.retryAfterMs : jobBackoff(retry, attempt),
        },
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const fields = { kind, key: job.data.key, attempt: job.attemptsMade, err: err.message };
      // A transient error with attempts left was moved to `delayed` with the backoff in job.delay.
      if (err instanceof TransientError && job.attemptsMade < (job.opts.attempts ?? 1)) {
        this.options.log?.warn({ ...fields, retryInMs: job.delay }, 'job failed; retrying');
      } else {
        this.options.log?.error(fields, 'job failed');
      }
    });
    worker.on('error', (err: Error) => this.reportError(kind, err));
    return worker;
  }
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** BullMQ's own test knows refused and closed connections; a reset or a DNS failure is one too. */
function isConnectionError(err: Error): boolean {
  return !isNotConnectionError(err) || CONNECTION_ERROR_CODES.has((err as NodeJS.ErrnoException).code ?? '');
}

/** A Worker that can stop waiting for a Redis that has gone, which Worker.close() cannot. */
class ClosableWorker extends Worker<JobData> {
  /**
   * Drops the connections under a close() that waits for Redis, and stops lock renewal, whose
   * timer would otherwise keep the process alive: BullMQ stops it only after the step that hangs.
   */
  async abandon(): Promise<void> {
    await this.lockManager.close();
    const client = await connectedNow(this.backend.client);
    const blocking = await connectedNow(this.backend.blockingClient);
    client?.disconnect();
    blocking?.disconnect();
    // Never connected (Redis down since start): BullMQ's forced close ends connections still trying,
    // which would otherwise keep reconnecting, and the process alive, after stop().
    if (!client && !blocking) await settlesWithin(this.backend.close(true), 1_000);
  }
}

/**
 * The client behind a BullMQ connection, or undefined when it never connected (Redis down since
 * start): its promise would wait for ever, and BullMQ's own close() ends such a connection itself.
 */
function connectedNow<T>(client: Promise<T> | undefined): Promise<T | undefined> {
  // An already resolved promise listed first wins the race.
  return Promise.race([client ?? Promise.resolve(undefined), Promise.resolve(undefined)]).catch(() => undefined);
}
