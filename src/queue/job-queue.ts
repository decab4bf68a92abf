// The queue between the stages (SPEC §7): scans per image, writes per automation. Two backends
// share this interface and one contract test suite: in-process (default) and BullMQ on Redis.
import { exponentialBackoff } from '../retry-timing.js';

/** Scan an image's registry, or write an automation's picks to git. */
export type JobKind = 'scan' | 'write';

/** What runs a job; a thrown TransientError is retried with backoff, anything else fails the job. */
export type JobHandlers = Record<JobKind, (key: string) => Promise<void>>;

/** A queue of deduplicated jobs keyed by image or automation name. */
export interface JobQueue {
  /** True when other processes share these jobs (Redis), so a job may run where its cause did not. */
  readonly shared: boolean;
  /** Begins running jobs with these handlers. */
  start(handlers: JobHandlers): Promise<void>;
  /**
   * Asks for a run of `kind` for `key`. A waiting job for the same key absorbs the request; a
   * running one is followed by exactly one more run, so a burst makes one run with the latest state.
   */
  add(kind: JobKind, key: string): Promise<void>;
  /**
   * A schedule's request: like add, but across replicas only the first to fire in an interval
   * queues the job. Resolves true when this call queued it.
   */
  addScheduled(kind: JobKind, key: string, everyMs: number): Promise<boolean>;
  /** Resolves once no job is waiting or running. */
  idle(): Promise<void>;
  /** Jobs waiting or running (for the queue-depth metric). */
  depth(): Promise<number>;
  /** Whether the backend can take jobs now (for /readyz). */
  ready(): Promise<boolean>;
  /** Stops taking jobs and waits for the running ones. */
  close(): Promise<void>;
}

/** Where a queue reports failed and retried jobs; a subset of pino's logger. */
export interface QueueLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Retry policy for jobs that failed with a TransientError; any other failure is tried once. */
export interface RetryPolicy {
  /** Runs in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  /** Backoff never waits longer than this (a peer's Retry-After may ask for longer, and is obeyed). */
  maxDelayMs: number;
}

/**
 * A transient failure (a git server's 5xx streak, a registry outage) is retried until it passes:
 * giving up after a few tries left the change waiting for the automation's interval, hours after
 * the peer healed. The delay is capped at 30 s, so a job runs again at most 30 s after its peer is
 * back; the attempts only stop a job that has failed for days (about 10 000 × 22 s on average).
 * One job per key at a time, and adds merge into a job waiting for its retry, so a long streak
 * never piles jobs up.
 */
export const DEFAULT_JOB_RETRY: RetryPolicy = { attempts: 10_000, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** The delay before retry `attempt` (1-based) of a failed job. */
export function jobBackoff(policy: RetryPolicy, attempt: number): number {
  return exponentialBackoff(policy.baseDelayMs, attempt, policy.maxDelayMs);
}
