import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessQueue, type QueueTimers } from '../../src/queue/in-process-queue.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import { queueContract, SHORT_RETRY } from './queue-contract.js';

/** Node's timers, and a way to fire the pending ones now: a backoff the test ends. */
function skippableTimers(): QueueTimers & { fireNow(): void } {
  const pending = new Map<NodeJS.Timeout, () => void>();
  return {
    setTimeout(callback, ms) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        callback();
      }, ms);
      pending.set(timer, callback);
      return timer;
    },
    clearTimeout(timer) {
      pending.delete(timer);
      clearTimeout(timer);
    },
    fireNow() {
      for (const [timer, callback] of [...pending]) {
        this.clearTimeout(timer);
        callback();
      }
    },
  };
}

const timersOf = new WeakMap<JobQueue, ReturnType<typeof skippableTimers>>();
queueContract(
  'in-process',
  async (options) => {
    const timers = skippableTimers();
    const queue = new InProcessQueue({ retry: SHORT_RETRY, timers, ...options });
    timersOf.set(queue, timers);
    return queue;
  },
  async (queue) => timersOf.get(queue)!.fireNow(),
);

describe('InProcessQueue order', () => {
  it('runs the jobs of a kind in the order asked for, and a write never waits behind scans', async () => {
    const started: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const queue = new InProcessQueue({ concurrency: { scan: 1, write: 1 } });
    await queue.start({
      scan: async (key) => {
        started.push(`scan:${key}`);
        await released;
      },
      write: async (key) => void started.push(`write:${key}`),
    });
    const scans = Array.from({ length: 50 }, (_, i) => `img${i}`);
    for (const image of scans) await queue.add('scan', image);
    await queue.add('write', 'fleet');
    release();
    await queue.idle();
    await queue.close();
    // The first scan took the only scan slot; the write, asked for after 49 waiting scans, started next.
    assert.deepEqual(started.slice(0, 2), ['scan:img0', 'write:fleet']);
    assert.deepEqual(
      started.filter((s) => s.startsWith('scan:')),
      scans.map((image) => `scan:${image}`),
    );
  });
});
