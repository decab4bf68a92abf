// The job retry after a git server's 5xx streak (SPEC §7): a real git server answers 500 for longer
// than the old five attempts, then heals; the write job, retried by the queue alone, lands the change
// with one push. Both queue backends, with the production policy's attempts and delays in milliseconds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAutomation } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { BullmqQueue } from '../../src/queue/bullmq-queue.js';
import { InProcessQueue } from '../../src/queue/in-process-queue.js';
import { DEFAULT_JOB_RETRY, jobBackoff, type JobQueue, type RetryPolicy } from '../../src/queue/job-queue.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const APP = 'registry.example.test/acme/app';
const marked = (tag: string) => `image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;
/** Longer than the five attempts the queue used to give a job. */
const STREAK = 8;
const RETRY: RetryPolicy = { ...DEFAULT_JOB_RETRY, baseDelayMs: 20, maxDelayMs: 100 };

describe('the job retry after a git server 5xx streak', () => {
  let server: TestGitServer;
  let redis: RedisServer;
  let dir: string;
  const log = createLogger('silent');
  const picks = new Map([['app', { policy: 'app', repository: APP, tag: '1.1.0' }]]);

  before(async () => {
    [server, redis, dir] = await Promise.all([startGitServer(), startRedis(), makeTempDir('git-outage')]);
  });
  after(async () => {
    await Promise.all([server?.stop(), redis?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  const backends: Record<string, () => JobQueue> = {
    'in-process': () => new InProcessQueue({ retry: RETRY }),
    bullmq: () => new BullmqQueue({ redisUrl: redis.url, prefix: 'git-outage', retry: RETRY }),
  };

  for (const [backend, makeQueue] of Object.entries(backends)) {
    it(`${backend}: the change lands once the server heals, with one push`, { timeout: 60_000 }, async () => {
      const name = `outage-${backend}`;
      const url = await server.createRepo(name, { 'app.yaml': marked('1.0.0') });
      const automation = AutomationConfig.parse({ name: 'fleet', git: { url, branch: 'main' } });
      const requestsBefore = server.requests.length;
      let runs = 0;
      const queue = makeQueue();
      try {
        await queue.start({
          scan: async () => {},
          write: async () => {
            runs++;
            await runAutomation(automation, picks, { stateDir: join(dir, backend), log, knownPolicies: new Set(['app']) });
          },
        });
        server.failNextRequests(STREAK, 500);
        await queue.add('write', 'fleet');
        await queue.idle();
      } finally {
        await queue.close();
      }
      const seen = server.requests.slice(requestsBefore);
      assert.equal(seen.filter((r) => r.status === 500).length, STREAK);
      assert.equal(runs, STREAK + 1, 'each failed run was retried by the queue, and the first after healing landed');
      assert.equal(await server.readFile(name, 'main', 'app.yaml'), marked('1.1.0'));
      const pushes = seen.filter((r) => r.method === 'POST' && r.service === 'git-receive-pack');
      assert.equal(pushes.length, 1, 'one push when the server healed');
      assert.equal((await server.log(name, 'main')).length, 2, 'one commit');
    });
  }

  it('the production policy retries for more than a day, never waiting over 30 s', () => {
    let shortest = 0;
    for (let attempt = 1; attempt < DEFAULT_JOB_RETRY.attempts; attempt++) {
      const delay = jobBackoff(DEFAULT_JOB_RETRY, attempt);
      assert.ok(delay <= 30_000, `attempt ${attempt} waits ${delay} ms`);
      // Jitter takes at most half of the capped delay.
      shortest += Math.min(DEFAULT_JOB_RETRY.maxDelayMs, DEFAULT_JOB_RETRY.baseDelayMs * 2 ** (attempt - 1)) / 2;
    }
    assert.ok(shortest > 24 * 3600_000, `gives up after ${Math.round(shortest / 3600_000)} h at the least`);
  });
});
