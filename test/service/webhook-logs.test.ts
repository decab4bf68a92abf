// Logs are signal (SPEC §6): a registry's own notifications arrive by the dozen per push (blob
// uploads, mounts, the manifest), and only a delivery that names a configured image is worth an
// info line — one per delivery; the rest are debug. Against a real registry sending real envelopes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/serve.js';
import { getFreePort } from '../helpers/free-port.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookOnlyService } from '../helpers/webhook-service.js';

const HOOK_SECRET = 'registry-hook-secret';

interface Line {
  level: number;
  msg: string;
  images?: string[];
}

describe('webhook log levels', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let service: Service;
  const lines: Line[] = [];

  before(async () => {
    const port = await getFreePort();
    [registry, gitServer, dir] = await Promise.all([
      startRegistry({ notifications: { url: `http://127.0.0.1:${port}/hooks/registry`, headers: { Authorization: `Bearer ${HOOK_SECRET}` } } }),
      startGitServer(),
      makeTempDir('webhook-logs'),
    ]);
    const repoUrl = await gitServer.createRepo('fleet', { 'app.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n` });
    service = await startWebhookOnlyService({ registryHost: registry.host, repoUrl, dir, port: port, secret: HOOK_SECRET, lines });
  });

  after(async () => {
    await service?.stop();
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it('one info line per delivery that names a configured image; blob pushes and unwatched repositories are debug', async () => {
    const from = lines.length;
    await registry.pushImage('other/unwatched', '1.0.0');
    await registry.pushImage('acme/app', '1.1.0');
    await waitFor('the commit', async () => (await gitServer.readFile('fleet', 'main', 'app.yaml')).includes(':1.1.0 '), 60_000);
    await service.queue.idle();
    const hooks = lines.slice(from).filter((l) => l.msg.startsWith('webhook'));
    const info = hooks.filter((l) => l.level === 30);
    const debug = hooks.filter((l) => l.level === 20);
    assert.ok(info.length >= 1, 'the manifest push of acme/app is logged');
    for (const line of info) {
      assert.equal(line.msg, 'webhook accepted');
      assert.deepEqual(line.images, ['app']);
    }
    assert.ok(debug.length >= 1, 'blob uploads and the unwatched repository arrive too');
    for (const line of debug) {
      assert.equal(line.msg, 'webhook matched no image');
      assert.deepEqual(line.images, []);
    }
  });
});
