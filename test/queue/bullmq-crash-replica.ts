// A replica for bullmq-crash.test.ts, run as its own process so the test can SIGKILL it mid-job:
// it takes write jobs, prints `started <key>` when one begins, and never finishes it.
// Usage: node bullmq-crash-replica.js <redisUrl> <prefix> <stalledIntervalMs> (compiled; see test/helpers/compiled-script.ts)
import { BullmqQueue } from '../../src/queue/bullmq-queue.js';

const [redisUrl, prefix, stalledIntervalMs] = process.argv.slice(2);
if (!redisUrl || !prefix || !stalledIntervalMs) throw new Error('usage: bullmq-crash-replica.ts <redisUrl> <prefix> <stalledIntervalMs>');

const queue = new BullmqQueue({ redisUrl, prefix, stalledIntervalMs: Number(stalledIntervalMs) });
await queue.start({
  scan: async () => {},
  write: (key) => {
    process.stdout.write(`started ${key}\n`);
    return new Promise<void>(() => {});
  },
});
process.stdout.write('ready\n');
