// One contract suite for every JobQueue backend (STYLE rule 6).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InputError, TransientError } from '../../src/errors.js';
import type { JobHandlers, JobQueue } from '../../src/queue/job-queue.js';
import { gate, within } from './gate.js';

/** Makes a fresh, not yet started queue; retries must back off in a few milliseconds. */
export type QueueFactory = () => Promise<JobQueue>;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function queueContract(name: string, makeQueue: QueueFactory): void {
  describe(`JobQueue contract: ${name}`, () => {
    let queue: JobQueue | null = null;
    afterEach(async () => {
      await queue?.close();
      queue = null;
    });

    async function started(handlers: Partial<JobHandlers>): Promise<JobQueue> {
      queue = await makeQueue();
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

    it('never runs two jobs of one key at once', async () => {
      // Each run holds until the test releases it, so requests land while a run is in progress
      // whatever the machine's speed: every burst makes exactly one more run, never one beside it.
      let running = 0;
      let maxRunning = 0;
      const releases: Array<() => void> = [];
      let runStarted = gate();
      const q = await started({
        write: async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          const done = gate();
          releases.push(done.open);
          runStarted.open();
          await done.opened;
          running--;
        },
      });
      await q.add('write', 'fleet');
      for (let run = 0; run < 3; run++) {
        await within(runStarted.opened, 5000, `run ${run + 1} did not start`);
        runStarted = gate();
        if (run < 2) for (let i = 0; i < 3; i++) await q.add('write', 'fleet');
        releases[run]!();
      }
      await q.idle();
      assert.equal(maxRunning, 1);
      assert.equal(releases.length, 3, `three bursts coalesced to three runs, got ${releases.length}`);
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

    it('retries a transient failure, not a bad-input one', async () => {
      const attempts: Record<string, number> = { flaky: 0, bad: 0 };
      const q = await started({
        scan: async (key) => {
          attempts[key]!++;
          if (key === 'flaky' && attempts[key]! < 3) throw new TransientError('registry answered HTTP 503');
          if (key === 'bad') throw new InputError('no such image');
        },
      });
      await q.add('scan', 'flaky');
      await q.add('scan', 'bad');
      await q.idle();
      assert.equal(attempts.flaky, 3);
      assert.equal(attempts.bad, 1);
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
      const failed = gate();
      let runs = 0;
      const q = await started({
        scan: async () => {
          if (++runs > 1) return;
          failed.open();
          throw new TransientError('registry answered HTTP 503', { retryAfterMs: 600 });
        },
      });
      await q.add('scan', 'app');
      await within(failed.opened, 5000, 'the job did not start');
      // Past the failure, well inside the 600 ms backoff.
      await wait(100);
      for (let i = 0; i < 3; i++) await q.add('scan', 'app');
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
