// Network trouble with the git server is retried a few times with backoff; a refusal (401, 404) or
// bad input is not, and neither is a corrupt clone, which the caller rebuilds instead.
import { TransientError } from '../errors.js';
import { exponentialBackoff } from '../retry-timing.js';

export interface RetryOptions {
  /** Tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  onRetry?: (err: TransientError, attempt: number, delayMs: number) => void;
}

/** Runs `work`, trying again on a plain TransientError after an exponential, jittered delay. */
export async function retryTransient<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof TransientError) || err.code !== 'TRANSIENT' || attempt >= options.attempts) throw err;
      // A Retry-After is honoured up to a minute; a longer wait is the next scheduled run's business.
      const delay = Math.min(err.retryAfterMs ?? exponentialBackoff(options.baseDelayMs, attempt), 60_000);
      options.onRetry?.(err, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
