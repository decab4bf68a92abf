// The BullMQ backend against a real redis-server: the shared contract, then what only a queue shared
// by several replicas can get wrong (two BullmqQueue instances on one Redis prefix are two replicas).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TransientError } from '../../src/errors.js';
import { BullmqQueue, type BullmqQueueOptions } from '../../src/queue/bullmq-queue.js';
import type { JobHandlers, JobQueue } from '../../src/queue/job-queue.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { gate, within } from './gate.js';
import { queueContract, SHORT_RETRY } from './queue-contract.js';

let redis: RedisServer;
let prefixes = 0;
/** A fresh key prefix: a job one case leaves in Redis must not run in the next. */
const freshPrefix = (label: string): string => `${label}-${++prefixes}`;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const prefixOf = new WeakMap<JobQueue, string>();
queueContract(
  'bullmq',
  async (options) => {
    const prefix = freshPrefix('contract');
    const queue = new BullmqQueue({ redisUrl: redis.url, prefix, retry: SHORT_RETRY, ...options });
    prefixOf.set(queue, prefix);
    return queue;
  },
  // A retry waits in BullMQ's `delayed` set; promoting it is what its delay's end does.
  async (queue) => {
    for (const kind of ['scan', 'write']) {
      const jobs = new Queue(kind, { connection: { url: redis.url }, prefix: prefixOf.get(queue)! });
      try {
        await jobs.promoteJobs();
      } finally {
        await jobs.close();
      }
    }
  },
);

const noop = async (): Promise<void> => {};

describe('BullmqQueue replicas on one Redis', () => {
  const open: BullmqQueue[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
  });

  async function replicas(count: number, handlers: (replica: number) => Partial<JobHandlers>, options: Partial<BullmqQueueOptions> = {}) {
    const prefix = freshPrefix('replicas');
    const started: BullmqQueue[] = [];
    for (let i = 0; i < count; i++) {
      const q = new BullmqQueue({ redisUrl: redis.url, prefix, ...options });
      open.push(q);
      await q.start({ scan: noop, write: noop, ...handlers(i) });
      started.push(q);
    }
    return started;
  }

  it('turns a burst of 20 requests on both replicas during a run into exactly one more run', async () => {
    const blocker = gate();
    const firstRunning = gate();
    let running = 0;
    let maxRunning = 0;
    const ranOn: number[] = [];
    const [a, b] = await replicas(2, (replica) => ({
      write: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        ranOn.push(replica);
        if (ranOn.length === 1) {
          firstRunning.open();
          await blocker.opened;
        }
        await wait(20);
        running--;
      },
    }));
    await a!.add('write', 'fleet');
    await within(firstRunning.opened, 5000, 'the first run did not start');
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a! : b!).add('write', 'fleet')));
    blocker.open();
    await a!.idle();
    assert.equal(maxRunning, 1, 'two replicas ran the key at once');
    assert.equal(ranOn.length, 2, `expected the run and one more, got ${ranOn.length} runs`);
  });

  it('never overlaps a key and never loses a request under a steady stream from both replicas', async () => {
    let running = 0;
    let maxRunning = 0;
    // Requests added before each run started: a run lasts until two more requests have come (or the
    // stream has ended), so the stream overlaps every run whatever the machine's speed.
    const addedBeforeRun: number[] = [];
    let added = 0;
    const [a, b] = await replicas(2, () => ({
      write: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        addedBeforeRun.push(added);
        const until = Math.min(40, added + 2);
        while (added < until) await wait(2);
        running--;
      },
    }));
    for (let i = 0; i < 40; i++) {
      await (i % 2 === 0 ? a! : b!).add('write', 'fleet');
      added++;
      await wait(5);
    }
    await a!.idle();
    assert.equal(maxRunning, 1, 'two replicas ran the key at once');
    assert.ok(addedBeforeRun.length <= 21, `coalesced, got ${addedBeforeRun.length} runs for 40 requests`);
    // Every request is followed by a run that starts after it, or the last state is never written.
    assert.equal(addedBeforeRun.at(-1), 40, 'the last request has no run after it');
  });

  it('shares different keys between the replicas', async () => {
    const ranOn = new Map<string, number[]>();
    const working = [gate(), gate()];
    const [a] = await replicas(
      2,
      (replica) => ({
        write: async (key) => {
          ranOn.set(key, [...(ranOn.get(key) ?? []), replica]);
          working[replica]!.open();
          // A run lasts until the other replica has one too: a replica taking every job waits here in vain.
          await within(working[1 - replica]!.opened, 5000, 'the other replica took no job');
        },
      }),
      { concurrency: { write: 1 } },
    );
    for (let i = 0; i < 8; i++) await a!.add('write', `automation-${i}`);
    await a!.idle();
    assert.equal(ranOn.size, 8);
    for (const [key, runs] of ranOn) assert.equal(runs.length, 1, `${key} ran ${runs.length} times`);
    const replicasUsed = new Set([...ranOn.values()].flat());
    assert.equal(replicasUsed.size, 2, 'one replica did all the work');
  });

  it('claims a scheduled run once per interval across replicas, even after the job finished', async () => {
    let scans = 0;
    const [a, b] = await replicas(2, () => ({ scan: async () => void scans++ }));
    assert.equal(await a!.addScheduled('scan', 'nginx', 60_000), true);
    await a!.idle();
    // Plain deduplication would run this: the first job is gone. The claim on the interval is not.
    assert.equal(await b!.addScheduled('scan', 'nginx', 60_000), false);
    assert.equal(await a!.addScheduled('scan', 'nginx', 60_000), false);
    await a!.idle();
    assert.equal(scans, 1);
    assert.equal(await b!.addScheduled('write', 'nginx', 60_000), true, 'another kind is another schedule');
    assert.equal(await b!.addScheduled('scan', 'redis', 60_000), true, 'another key is another schedule');
  });

  it('claims the next scheduled run once the interval has passed', async () => {
    let scans = 0;
    const [a, b] = await replicas(2, () => ({ scan: async () => void scans++ }));
    assert.equal(await a!.addScheduled('scan', 'nginx', 300), true);
    assert.equal(await b!.addScheduled('scan', 'nginx', 300), false);
    await wait(300);
    assert.equal(await b!.addScheduled('scan', 'nginx', 300), true);
    await a!.idle();
    assert.equal(scans, 2);
  });
});

describe('BullmqQueue failures', () => {
  it('logs a retry with its delay, and a bad-input failure as an error', async () => {
    const warnings: object[] = [];
    const errors: object[] = [];
    const log = { warn: (obj: object) => void warnings.push(obj), error: (obj: object) => void errors.push(obj) };
    const q = new BullmqQueue({ redisUrl: redis.url, prefix: freshPrefix('log'), log, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
    try {
      let calls = 0;
      await q.start({
        scan: async (key) => {
          if (key === 'flaky' && ++calls === 1) throw new TransientError('HTTP 503', { retryAfterMs: 50 });
          if (key === 'bad') throw new Error('no such image');
        },
        write: noop,
      });
      await q.add('scan', 'flaky');
      await q.add('scan', 'bad');
      await q.idle();
      assert.deepEqual(warnings, [{ kind: 'scan', key: 'flaky', attempt: 1, err: 'HTTP 503', retryInMs: 50 }]);
      assert.deepEqual(errors, [{ kind: 'scan', key: 'bad', attempt: 1, err: 'no such image' }]);
    } finally {
      await q.close();
    }
  });

  /** A queue on its own redis-server (so a test can kill it) with one write job running, held open. */
  async function runningOnOwnRedis() {
    const own = await startRedis();
    const prefix = freshPrefix('down');
    const warnings: string[] = [];
    const log = { warn: (_: object, msg: string) => void warnings.push(msg), error: () => {} };
    const q = new BullmqQueue({ redisUrl: own.url, prefix, stalledIntervalMs: 500, log });
    const blocker = gate();
    const running = gate();
    const handler = { finishedAt: 0 };
    await q.start({
      scan: noop,
      write: async () => {
        running.open();
        await blocker.opened;
        handler.finishedAt = Date.now();
      },
    });
    await q.add('write', 'fleet');
    await within(running.opened, 5000, 'the job did not start');
    return { own, q, prefix, release: blocker.open, handler, warnings };
  }

  for (const when of ['before', 'during'] as const) {
    it(`closes when Redis dies ${when} close(), after the running handler has finished`, async () => {
      const { own, q, release, handler } = await runningOnOwnRedis();
      try {
        let closing: Promise<void> | undefined;
        if (when === 'during') closing = q.close();
        await own.kill();
        // Until ioredis has seen the connection drop, "before" would still take the Redis-up path.
        if (when === 'before') while (await q.ready()) await wait(20);
        closing ??= q.close();
        await wait(200);
        assert.equal(handler.finishedAt, 0);
        release();
        await within(closing, 10_000, 'close() hung while Redis was down');
        assert.ok(handler.finishedAt > 0, 'close() returned before the running handler finished');
      } finally {
        release();
        await q.close();
        await own.stop();
      }
    });
  }

  it('records the running job when the connections dropped just before close()', async () => {
    const { own, q, prefix, release, handler, warnings } = await runningOnOwnRedis();
    const admin = new Redis(own.url);
    const inspect = new Queue('write', { connection: admin, prefix });
    try {
      // A network blip: every connection is reset, the data stays. BullMQ's clients are reconnecting
      // when close() starts, the case where Worker.close() waits for ever (bullmq#4656).
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await wait(50);
      const closing = q.close();
      release();
      await within(closing, 10_000, 'close() hung after a blip');
      assert.ok(handler.finishedAt > 0);
      assert.ok(!warnings.some((msg) => msg.includes('while closing')), 'close() gave up on a Redis that was back');
      assert.equal(await inspect.getActiveCount(), 0, 'the job was left active, to be run again');
    } finally {
      release();
      await q.close();
      await inspect.close();
      admin.disconnect();
      await own.stop();
    }
  });

  it('is ready only while Redis answers, and answers at once when it does not', async () => {
    const own = await startRedis();
    const q = new BullmqQueue({ redisUrl: own.url, prefix: freshPrefix('ready') });
    try {
      await q.start({ scan: noop, write: noop });
      assert.equal(await q.ready(), true);
      await own.kill();
      // ready() answers by its own timeout at the latest. A fake clock fires every timer due within a
      // minute, so a ready() that waited on anything else (a PING queued until Redis returns) would
      // hang here until the test times out, whatever the machine's speed.
      mock.timers.enable({ apis: ['setTimeout'] });
      try {
        const answer = q.ready();
        mock.timers.tick(60_000);
        assert.equal(await answer, false);
      } finally {
        mock.timers.reset();
      }
      await own.restart();
      const deadline = Date.now() + 10_000;
      while (!(await q.ready())) {
        assert.ok(Date.now() < deadline, 'not ready again after Redis came back');
        await wait(50);
      }
      await q.close();
      assert.equal(await q.ready(), false, 'a closed queue takes no jobs');
    } finally {
      await q.close();
      await own.stop();
    }
  });
});
