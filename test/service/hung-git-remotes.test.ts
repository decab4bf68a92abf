// Two git remotes that accept the connection and never answer, beside a healthy one: the healthy
// automation still commits (each request has a deadline, so the hung ones give their write slots
// back), status says what the hung ones did, and stop() ends their requests instead of waiting.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/** SIGTERM to exit: what a Kubernetes pod gets by default before SIGKILL is 30 s; the contract here is 10. */
const SHUTDOWN_BOUND_MS = 10_000;

/** A TCP server that takes every connection and never says a word. */
async function startHungRemote(): Promise<{ url: string; connections: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fleet.git`,
    connections: () => count,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('two hung git remotes beside a healthy one', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let hung: Array<Awaited<ReturnType<typeof startHungRemote>>>;
  let dir: string;
  let configCount = 0;

  before(async () => {
    [registry, gitServer, dir, ...hung] = await Promise.all([
      startRegistry(),
      startGitServer(),
      makeTempDir('hung-remotes'),
      startHungRemote(),
      startHungRemote(),
    ]);
    await registry.pushImage('acme/app', '1.1.0');
  });
  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop(), ...(hung ?? []).map((h) => h.stop())]);
    if (dir) await removeTempDir(dir);
  });

  /** A config whose hung automations come first, so their writes take both write slots before the healthy one. */
  async function config(): Promise<{ configPath: string; repo: string }> {
    const n = ++configCount;
    const repo = `fleet-${n}`;
    const healthyUrl = await gitServer.createRepo(repo, { 'apps/app.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n` });
    const configPath = join(dir, `tagpilot-${n}.yaml`);
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${registry.host}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations:
  - { name: hung-a, git: { url: '${hung[0]!.url}' }, interval: 0 }
  - { name: hung-b, git: { url: '${hung[1]!.url}' }, interval: 0 }
  - { name: healthy, git: { url: '${healthyUrl}' }, interval: 0 }
registries: [{ host: ${registry.host}, insecure: true }]
server: { host: 127.0.0.1, port: 0 }
stateDir: ${join(dir, `state-${n}`)}
`,
    );
    return { configPath, repo };
  }

  it('the healthy automation commits while the hung ones time out, and status says why they failed', { timeout: 30_000 }, async () => {
    const { configPath, repo } = await config();
    const service = await Service.start(await loadConfig(configPath, {}), { configPath, env: {}, gitTimeouts: { idleMs: 300 } }, createLogger('silent'));
    try {
      const automations = service.pipeline.automations;
      await waitFor('the healthy commit', async () => automations.get('healthy')!.lastCommit !== null, 20_000);
      assert.match(await gitServer.readFile(repo, 'main', 'apps/app.yaml'), /:1\.1\.0 /);
      assert.equal(automations.get('healthy')!.error, null);
      assert.equal(automations.get('healthy')!.lastCommit?.subject, `Update ${registry.host}/acme/app to 1.1.0`);
      for (const [name, remote] of [['hung-a', hung[0]!], ['hung-b', hung[1]!]] as const) {
        await waitFor(`${name} failed`, async () => automations.get(name)!.error !== null, 10_000);
        assert.equal(automations.get(name)!.error, `${remote.url}: no answer within 300 ms`);
      }
    } finally {
      await service.stop();
    }
  });

  it('stop() ends requests to hung remotes rather than waiting out their timeouts', { timeout: 30_000 }, async () => {
    const { configPath } = await config();
    const before = hung.map((h) => h.connections());
    // The default timeouts: only stop() can end these requests soon.
    const service = await Service.start(await loadConfig(configPath, {}), { configPath, env: {}, drainGraceMs: 500 }, createLogger('silent'));
    await waitFor('both hung remotes holding a request', async () => hung.every((h, i) => h.connections() > before[i]!), 10_000);
    const started = Date.now();
    await service.stop();
    const tookMs = Date.now() - started;
    assert.ok(tookMs < SHUTDOWN_BOUND_MS, `stop() took ${tookMs} ms`);
    for (const name of ['hung-a', 'hung-b']) {
      assert.match(service.pipeline.automations.get(name)!.error ?? '', /request abandoned: the service is stopping$/);
    }
  });
});
