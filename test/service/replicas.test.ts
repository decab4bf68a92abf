// Two `serve` replicas sharing one real redis-server (SPEC §7): a change is committed exactly once,
// whichever replica takes the jobs, and a burst of tags ends in the newest one.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import { getFreePort } from '../helpers/free-port.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';


describe('two serve replicas on one Redis', () => {
  let redis: RedisServer;
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  const replicas: Service[] = [];
  const ports: number[] = [];

  before(async () => {
    ports.push(await getFreePort(), await getFreePort());
    [redis, registry, gitServer, dir] = await Promise.all([
      startRedis(),
      // The registry notifies replica 0 only; the work still spreads through Redis.
      startRegistry({ notifications: { url: `http://127.0.0.1:${ports[0]}/hooks/registry`, headers: { Authorization: 'hook' } } }),
      startGitServer(),
      makeTempDir('replicas'),
    ]);
    const url = await gitServer.createRepo('fleet', { 'app.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n` });
    await registry.pushImage('acme/app', '1.0.0');
    for (const [i, port] of ports.entries()) {
      const configPath = join(dir, `replica-${i}.yaml`);
      await writeFile(
        configPath,
        `images: [{ name: app, repository: ${registry.host}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations: [{ name: fleet, git: { url: ${url} }, interval: 0 }]
registries: [{ host: ${registry.host}, insecure: true }]
webhooks: [{ name: registry, type: distribution, secret: hook }]
queue: { redisUrl: '${redis.url}' }
server: { host: 127.0.0.1, port: ${port} }
stateDir: ${join(dir, `state-${i}`)}
`,
      );
      replicas.push(await Service.start(await loadConfig(configPath, {}), { configPath, env: {} }, createLogger('silent')));
    }
    await replicas[0]!.queue.idle();
  });

  after(async () => {
    for (const replica of replicas) await replica.stop();
    await Promise.all([redis?.stop(), registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it('commits each change exactly once', async () => {
    assert.equal((await gitServer.log('fleet', 'main')).length, 1, 'nothing to change at start-up');
    await registry.pushImage('acme/app', '1.1.0');
    await waitFor('the commit', async () => (await gitServer.readFile('fleet', 'main', 'app.yaml')).includes(':1.1.0 '));
    await replicas[0]!.queue.idle();
    // Both replicas ran their start-up pass and either may have taken the write: still one commit.
    const log = await gitServer.log('fleet', 'main');
    assert.equal(log.length, 2, log.map((c) => c.subject).join('\n'));
  });

  it('a burst of tags ends at the newest, with no change committed twice', async () => {
    for (const tag of ['1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0']) await registry.pushImage('acme/app', tag);
    await waitFor('the newest tag', async () => (await gitServer.readFile('fleet', 'main', 'app.yaml')).includes(':1.6.0 '));
    await replicas[0]!.queue.idle();
    const subjects = (await gitServer.log('fleet', 'main')).map((c) => c.subject);
    assert.equal(new Set(subjects).size, subjects.length, `a subject repeats:\n${subjects.join('\n')}`);
    assert.ok(subjects.length <= 2 + 5, 'at most one commit per pushed tag');
    const commits = subjects.length - 2;
    assert.ok(commits >= 1, 'the burst was committed');
    // Every commit moves forward: no replica wrote an older tag over a newer one.
    const tags = subjects.slice(0, commits).map((s) => /to (\S+)$/.exec(s)![1]!).reverse();
    assert.deepEqual(tags, [...tags].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
  });

  it('/readyz on both replicas reports the shared queue', async () => {
    for (const port of ports) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.deepEqual(await res.json(), { configLoaded: true, queueReady: true });
    }
  });
});
