import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessQueue } from '../../src/queue/in-process-queue.js';
import { queueContract, SHORT_RETRY } from './queue-contract.js';

queueContract('in-process', async (options) => new InProcessQueue({ retry: SHORT_RETRY, ...options }));

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
