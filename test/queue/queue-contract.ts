// One contract suite for every JobQueue backend (STYLE rule 6).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InputError, TransientError } from '../../src/errors.js';
import { DEFAULT_JOB_RETRY, type JobHandlers, type JobKind, type JobQueue, type QueueLogger, type RetryPolicy } from '../../src/queue/job-queue.js';
import { gate, within } from './gate.js';

/**
 * Makes a fresh, not yet started queue with these jobs-at-once per kind and this logger. Its retries
 * must back off in a few milliseconds and otherwise follow DEFAULT_JOB_RETRY (see SHORT_RETRY).
 */
export type QueueFactory = (options?: { concurrency?: Partial<Record<JobKind, number>>; log?: QueueLogger }) => Promise<JobQueue>;

/**
 * Ends the backoff of every job of `queue` that waits for its retry, as if its delay had passed:
 * resolves once those jobs wait for a slot like any other. The cases that depend on what happens
 * during a backoff ask for a long one and end it with this, instead of racing a short one.
 */
export type RetryNow = (queue: JobQueue) => Promise<void>;

/** A logger for the contract: resolves `retrying` at the first "job failed; retrying" (the job is then in its backoff). */
function retryLog(): { log: QueueLogger; retrying: Promise<void> } {
  const logged = gate();
  return { log: { warn: (_fields, msg) => void (msg === 'job failed; retrying' && logged.open()), error: () => {} }, retrying: logged.opened };
}

/** The production retry policy with its delays cut to milliseconds, for every backend's contract run. */
export const SHORT_RETRY: RetryPolicy = { ...DEFAULT_JOB_RETRY, baseDelayMs: 5, maxDelayMs: 20 };

export function queueContract(name: string, makeQueue: QueueFactory, retryNow: RetryNow): void {
  describe(`JobQueue contract: ${name}`, () => {
    let queue: JobQueue | null = null;
    afterEach(async () => {
      await queue?.close();
      queue = null;
    });

    async function started(handlers: Partial<JobHandlers>, options?: Parameters<QueueFactory>[0]): Promise<JobQueue> {
      queue = await makeQueue(options);
      await queue.start({ scan: async () => {}, write: async () => {}, ...handlers });
      return queue;
    }

    it('runs a job and then is idle', async () => {
      const seen: string[] = [];
      const q = await started({ scan: async (key) => void seen.push(key) });
      await q.add('scan', 'app');
      await q.idle();
      assert.deepEqual(seen, ['app']);
    });

    it('absorbs requests for a key that is still waiting', async () => {
      const blocker = gate();
      const running = gate();
      const runs: string[] = [];
      const q = await started({
        write: async (key) => {
          runs.push(key);
          running.open();
          if (key === 'first') await blocker.opened;
        },
      });
      // One write slot busy with "first" would not stop "other" in every backend, so use one key.
      await q.add('write', 'first');
      // Waits for the run itself: a backend with its jobs in Redis needs a moment to pick one up.
      await within(running.opened, 5000, 'the job did not start');
      for (let i = 0; i < 5; i++) await q.add('write', 'first');
      blocker.open();
      await q.idle();
      assert.deepEqual(runs, ['first', 'first'], 'a burst while running makes exactly one more run');
    });

    it('never runs two jobs of one key at once: each burst during a run makes one more run', async () => {
      let running = 0;
      let maxRunning = 0;
      const runStarted = [gate(), gate(), gate()];
      const release = [gate(), gate(), gate()];
      let runs = 0;
      const q = await started({
        write: async () => {
          const run = runs++;
          running++;
          maxRunning = Math.max(maxRunning, running);
          runStarted[run]?.open();
          await release[run]?.opened;
          running--;
        },
      });
      await q.add('write', 'fleet');
      for (const run of [0, 1]) {
        await within(runStarted[run]!.opened, 5000, `run ${run + 1} did not start`);
        for (let i = 0; i < 3; i++) await q.add('write', 'fleet');
        release[run]!.open();
      }
      await within(runStarted[2]!.opened, 5000, 'run 3 did not start');
      release[2]!.open();
      await q.idle();
      assert.equal(maxRunning, 1);
      assert.equal(runs, 3);
    });

    it('counts a running job in its depth, and none once idle', async () => {
      const blocker = gate();
      const running = gate();
      const q = await started({
        write: async () => {
          running.open();
          await blocker.opened;
        },
      });
      await q.add('write', 'fleet');
      await within(running.opened, 5000, 'the job did not start');
      await q.add('write', 'fleet');
      assert.equal(await q.depth(), 1, 'a request absorbed by the running job is not a job of its own');
      blocker.open();
      await q.idle();
      assert.equal(await q.depth(), 0);
    });

    it('runs different keys concurrently', async () => {
      const both = gate();
      let started2 = 0;
      const q = await started({
        scan: async () => {
          if (++started2 === 2) both.open();
          await both.opened;
        },
      });
      await q.add('scan', 'a');
      await q.add('scan', 'b');
      await within(both.opened, 5000, 'scans did not overlap');
      await q.idle();
    });

    it('retries a transient failure until it passes, and a bad-input one never', async () => {
      // More failures than the old policy's five attempts: a peer's 5xx streak must not end the job.
      const streak = 8;
      const attempts: Record<string, number> = { flaky: 0, bad: 0 };
      const q = await started({
        scan: async (key) => {
          attempts[key]!++;
          if (key === 'flaky' && attempts[key]! <= streak) throw new TransientError('registry answered HTTP 503');
          if (key === 'bad') throw new InputError('no such image');
        },
      });
      await q.add('scan', 'flaky');
      await q.add('scan', 'bad');
      await q.idle();
      assert.equal(attempts.flaky, streak + 1);
      assert.equal(attempts.bad, 1);
    });

    it('a retry waits for a free slot of its kind like any other job', async () => {
      const holders = { first: gate(), second: gate() };
      const holding = { first: gate(), second: gate() };
      const secondQueued = gate();
      let running = 0;
      let maxRunning = 0;
      let flakyRuns = 0;
      const q = await started(
        {
          write: async (key) => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            try {
              if (key === 'flaky') {
                if (++flakyRuns > 1) return;
                // Fails only once the second holder waits for its slot, which it takes: the retry backs off until the test ends it.
                await secondQueued.opened;
                throw new TransientError('git server answered HTTP 500', { retryAfterMs: 60_000 });
              }
              const name = key as keyof typeof holders;
              holding[name].open();
              await holders[name].opened;
            } finally {
              running--;
            }
          },
        },
        { concurrency: { write: 2 } },
      );
      await q.add('write', 'first');
      await within(holding.first.opened, 5000, 'the first holder did not start');
      await q.add('write', 'flaky');
      await q.add('write', 'second');
      secondQueued.open();
      await within(holding.second.opened, 5000, 'the second holder did not take the slot the failure freed');
      try {
        // Both slots are held when the retry becomes due: it must wait for a slot.
        await retryNow(q);
        assert.equal(flakyRuns, 1, 'the retry ran past the concurrency limit');
      } finally {
        holders.first.open();
        holders.second.open();
      }
      await q.idle();
      assert.equal(flakyRuns, 2);
      assert.equal(maxRunning, 2);
    });

    it('runs a scheduled request like an added one, and takes none once closed', async () => {
      const ran = gate();
      let runs = 0;
      const q = await started({
        scan: async () => {
          runs++;
          ran.open();
        },
      });
      assert.equal(await q.addScheduled('scan', 'app', 60_000), true);
      await within(ran.opened, 5000, 'the scheduled job did not run');
      await q.idle();
      assert.equal(runs, 1);
      await q.close();
      assert.equal(await q.addScheduled('scan', 'other', 60_000), false, 'a closed queue queued a scheduled job');
      queue = null;
    });

    it('a scheduled request meeting a running job of its key makes at most one more run, never an overlap', async () => {
      const release = gate();
      const firstRunning = gate();
      let running = 0;
      let maxRunning = 0;
      let runs = 0;
      const q = await started({
        scan: async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          if (++runs === 1) {
            firstRunning.open();
            await release.opened;
          }
          running--;
        },
      });
      await q.addScheduled('scan', 'app', 60_000);
      await within(firstRunning.opened, 5000, 'the job did not start');
      for (let i = 0; i < 3; i++) await q.addScheduled('scan', 'app', 60_000);
      release.open();
      await q.idle();
      assert.equal(maxRunning, 1);
      // One process queues one more run; replicas sharing Redis claim the interval once and queue none.
      assert.ok(runs === 1 || runs === 2, `expected 1 or 2 runs, got ${runs}`);
    });

    it('close waits for the running job and takes no more', async () => {
      const blocker = gate();
      const running = gate();
      let finished = false;
      let runs = 0;
      const q = await started({
        write: async () => {
          runs++;
          running.open();
          await blocker.opened;
          finished = true;
        },
      });
      await q.add('write', 'fleet');
      await within(running.opened, 5000, 'the job did not start');
      const closing = q.close();
      await q.add('write', 'fleet');
      blocker.open();
      await closing;
      assert.equal(finished, true);
      assert.equal(runs, 1);
      queue = null;
    });

    it('runs a key again when asked after its run finished', async () => {
      let runs = 0;
      const q = await started({ scan: async () => void runs++ });
      await q.add('scan', 'app');
      await q.idle();
      await q.add('scan', 'app');
      await q.idle();
      assert.equal(runs, 2, 'deduplication lasts only while a job waits or runs');
    });

    it('runs a key again after its job failed for good', async () => {
      let runs = 0;
      const q = await started({
        scan: async () => {
          if (++runs === 1) throw new InputError('no such image');
        },
      });
      await q.add('scan', 'app');
      await q.idle();
      await q.add('scan', 'app');
      await q.idle();
      assert.equal(runs, 2, 'a failed job must not keep blocking its key');
    });

    it('absorbs requests while a job waits to be retried', async () => {
      const { log, retrying } = retryLog();
      let runs = 0;
      const q = await started(
        {
          scan: async () => {
            if (++runs > 1) return;
            throw new TransientError('registry answered HTTP 503', { retryAfterMs: 60_000 });
          },
        },
        { log },
      );
      await q.add('scan', 'app');
      await within(retrying, 5000, 'the job did not fail into its backoff');
      // In the backoff, which lasts until the test ends it.
      for (let i = 0; i < 3; i++) await q.add('scan', 'app');
      assert.equal(runs, 1, 'a request cut the backoff short');
      await retryNow(q);
      await q.idle();
      assert.equal(runs, 2, 'the retry is the run the requests asked for');
    });

    it('waits as long as a transient error asks before retrying', async () => {
      const startedAt: number[] = [];
      const q = await started({
        scan: async () => {
          startedAt.push(Date.now());
          if (startedAt.length === 1) throw new TransientError('registry answered HTTP 429', { retryAfterMs: 300 });
        },
      });
      await q.add('scan', 'app');
      await q.idle();
      assert.equal(startedAt.length, 2);
      const gap = startedAt[1]! - startedAt[0]!;
      assert.ok(gap >= 290, `retried after ${gap} ms, Retry-After said 300`);
    });
  });
}
