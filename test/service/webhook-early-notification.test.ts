// A registry may notify before it lists the tag it names (SPEC §6: the payload's tag is a hint the
// registry must confirm). The scan that notification queues must then wait for the tag, not read
// the older list as "nothing new": the image here is scanned on webhooks only, so a push missed is
// a push lost until the next one. Real registry, real git server, a real delivery over HTTP; the
// notification is sent by the test before the push, which is the race made certain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/serve.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookOnlyService } from '../helpers/webhook-service.js';

const HOOK_SECRET = 'early-hook-secret';
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

interface Line {
  level: number;
  msg: string;
  err?: string;
}

describe('a push notification that arrives before the registry lists its tag', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let service: Service;
  const lines: Line[] = [];

  before(async () => {
    // No notifications from the registry: the test sends the one delivery, ahead of the push.
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('webhook-early')]);
    await registry.pushImage('acme/app', '1.0.0');
    const repoUrl = await gitServer.createRepo('fleet', { 'app.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n` });
    service = await startWebhookOnlyService({ registryHost: registry.host, repoUrl, dir, port: 0, secret: HOOK_SECRET, lines });
  });

  after(async () => {
    await service?.stop();
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it('scans again until the tag is listed, and commits it', async () => {
    const scansBefore = service.pipeline.images.get('app')!.lastScan;
    const delivery = {
      events: [{ action: 'push', target: { mediaType: MANIFEST, repository: 'acme/app', tag: '1.1.0' }, request: { host: registry.host } }],
    };
    const response = await fetch(`http://127.0.0.1:${service.port}/hooks/registry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${HOOK_SECRET}`, 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
      body: JSON.stringify(delivery),
    });
    assert.equal(response.status, 202, await response.text());
    // The scan the delivery queued has run and found only 1.0.0.
    await waitFor('the scan the notification queued', async () => service.pipeline.images.get('app')!.lastScan !== scansBefore);
    assert.deepEqual(service.pipeline.images.get('app')!.tags, ['1.0.0']);
    assert.ok(
      lines.some((l) => /does not list 1\.1\.0 \(named by webhook registry\) yet/.test(l.err ?? '')),
      `the scan says what it waits for:\n${lines.map((l) => `${l.msg} ${l.err ?? ''}`).join('\n')}`,
    );

    await registry.pushImage('acme/app', '1.1.0');
    await waitFor('the commit', async () => (await gitServer.readFile('fleet', 'main', 'app.yaml')).includes(':1.1.0 '), 60_000);
    await service.queue.idle();
    const awaited = (await service.pipeline.state.get<{ tags: unknown[] }>(['awaited/app'])).get('awaited/app');
    assert.deepEqual(awaited?.value.tags, [], 'nothing is waited for once the tag is listed');
  });
});
