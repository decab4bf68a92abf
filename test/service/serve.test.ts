// `tagpilot serve` with real peers: the registry's own notifications reach our webhook and become a
// commit; the HTTP surface answers as SPEC §6 says; a config reload swaps or is refused.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import { getFreePort } from '../helpers/free-port.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const HOOK_SECRET = 'registry-hook-secret';
const GENERIC_SECRET = 'generic-secret';
const API_TOKEN = 'api-token-123';


describe('serve', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let service: Service;
  let base: string;
  let configPath: string;
  let configText: string;
  const env = { ...process.env, HOOK_SECRET };

  before(async () => {
    const port = await getFreePort();
    base = `http://127.0.0.1:${port}`;
    [registry, gitServer, dir] = await Promise.all([
      startRegistry({ notifications: { url: `${base}/hooks/registry`, headers: { Authorization: `Bearer ${HOOK_SECRET}` } } }),
      startGitServer(),
      makeTempDir('serve'),
    ]);
    const repoUrl = await gitServer.createRepo('fleet', {
      'apps/app.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n`,
    });
    await registry.pushImage('acme/app', '1.0.0');
    configPath = join(dir, 'tagpilot.yaml');
    configText = `images:
  - name: app
    repository: ${registry.host}/acme/app
    interval: 0
policies:
  - name: app
    image: app
    semver: '>=1.0.0'
automations:
  - name: fleet
    git: { url: ${repoUrl} }
    interval: 0
registries:
  - host: ${registry.host}
    insecure: true
webhooks:
  - name: registry
    type: distribution
    secretEnv: HOOK_SECRET
  - name: generic
    type: generic
    secret: ${GENERIC_SECRET}
server: { host: 127.0.0.1, port: ${port}, apiToken: ${API_TOKEN} }
stateDir: ${join(dir, 'state')}
`;
    await writeFile(configPath, configText);
    // A tag a notification names and the registry never lists (9.9.9 below) is waited for this long.
    service = await Service.start(await loadConfig(configPath, env), { configPath, env, notifiedTagWaitMs: 1_500 }, createLogger('silent'));
    await service.queue.idle();
  });

  after(async () => {
    await service?.stop();
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it("commits a tag after the registry's own push notification", async () => {
    assert.equal((await gitServer.log('fleet', 'main')).length, 1, 'nothing to do at start-up');
    await registry.pushImage('acme/app', '1.1.0');
    await waitFor('the commit', async () => (await gitServer.readFile('fleet', 'main', 'apps/app.yaml')).includes(':1.1.0 '), 15_000);
    await service.queue.idle();
    const log = await gitServer.log('fleet', 'main');
    assert.equal(log.length, 2);
    assert.equal(log[0]!.subject, `Update ${registry.host}/acme/app to 1.1.0`);
  });

  const hookCases: Array<{ label: string; path: string; init: RequestInit; status: number; body?: RegExp }> = [
    { label: 'unknown hook → 404', path: '/hooks/nope', init: { method: 'POST', body: '{}' }, status: 404 },
    { label: 'missing auth → 401', path: '/hooks/registry', init: { method: 'POST', body: '{"events":[]}' }, status: 401 },
    {
      label: 'wrong secret → 401',
      path: '/hooks/registry',
      init: { method: 'POST', body: '{"events":[]}', headers: { authorization: 'Bearer nope' } },
      status: 401,
    },
    {
      label: 'malformed body → 400',
      path: '/hooks/registry',
      init: { method: 'POST', body: '{"events": [', headers: { authorization: `Bearer ${HOOK_SECRET}` } },
      status: 400,
    },
    {
      label: 'body over 1 MiB → 413',
      path: '/hooks/registry',
      init: { method: 'POST', body: `{"x":"${'a'.repeat(1024 * 1024)}"}`, headers: { authorization: `Bearer ${HOOK_SECRET}`, 'content-type': 'application/json' } },
      status: 413,
    },
  ];
  for (const c of hookCases) {
    it(`webhook: ${c.label}`, async () => {
      const res = await fetch(`${base}${c.path}`, c.init);
      assert.equal(res.status, c.status, await res.text());
    });
  }

  it('webhook: a generic HMAC-signed push is accepted with the images it matched', async () => {
    const body = JSON.stringify({ repository: `${registry.host}/acme/app`, tag: '9.9.9' });
    const signature = createHmac('sha256', GENERIC_SECRET).update(body).digest('hex');
    const res = await fetch(`${base}/hooks/generic`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signature}` },
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { images: ['app'] });
    // The payload's tag is a hint: 9.9.9 does not exist in the registry, so it is waited for (the
    // scan retried) until notifiedTagWaitMs has passed, then given up; it is never written.
    assert.deepEqual((await service.pipeline.state.get<{ tags: Array<{ tag: string }> }>(['awaited/app'])).get('awaited/app')?.value.tags.map((t) => t.tag), ['9.9.9']);
    await service.queue.idle();
    assert.deepEqual((await service.pipeline.state.get<{ tags: unknown[] }>(['awaited/app'])).get('awaited/app')?.value.tags, []);
    assert.doesNotMatch(await gitServer.readFile('fleet', 'main', 'apps/app.yaml'), /9\.9\.9/);
  });

  it('trigger endpoints need the bearer token', async () => {
    const url = `${base}/api/v1/automations/fleet/run`;
    assert.equal((await fetch(url, { method: 'POST' })).status, 401);
    assert.equal((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.equal(ok.status, 202);
    const scan = await fetch(`${base}/api/v1/images/app/scan`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.equal(scan.status, 202);
    const missing = await fetch(`${base}/api/v1/images/nope/scan`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.equal(missing.status, 404);
    await service.queue.idle();
  });

  it('readyz, metrics, status JSON and the status page', async () => {
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /tagpilot_scans_total\{image="app",result="ok"\} \d+/);
    assert.match(metrics, /tagpilot_commits_total\{automation="fleet"\} 1/);
    assert.match(metrics, /tagpilot_webhooks_total\{webhook="registry",status="401"\} 2/);
    assert.match(metrics, /tagpilot_queue_depth 0/);
    // One duration observed per scan, ok or failed.
    const scans = [...metrics.matchAll(/^tagpilot_scans_total\{image="app",result="\w+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    assert.ok(scans > 0);
    assert.match(metrics, new RegExp(`^tagpilot_scan_duration_seconds_count\\{image="app"\\} ${scans}$`, 'm'));
    assert.match(metrics, /^tagpilot_scan_duration_seconds_bucket\{le="\+Inf",image="app"\} \d+$/m);
    const status = (await (await fetch(`${base}/api/v1/status`)).json()) as {
      policies: Array<{ latest: { tag: string } }>;
      automations: Array<{ lastCommit: { subject: string } }>;
    };
    assert.equal(status.policies[0]!.latest.tag, '1.1.0');
    const page = await (await fetch(`${base}/`)).text();
    assert.match(page, /<h1>tagpilot<\/h1>/);
    assert.match(page, /Update 127\.0\.0\.1:\d+\/acme\/app to 1\.1\.0/);
    assert.doesNotMatch(page, /<script/);
  });

  it('reload: an invalid config is refused and the running one stays; a valid one swaps in', async () => {
    await writeFile(configPath, configText.replace("semver: '>=1.0.0'", "semver: 'garbage'"));
    const refused = await service.reload();
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.problems, /tagpilot\.yaml:8:\d+: .*semver/);
    assert.equal(service.pipeline.config.policies[0]!.semver, '>=1.0.0');

    await writeFile(configPath, configText.replace("semver: '>=1.0.0'", "semver: '>=1.0.0 <1.1.0'"));
    assert.deepEqual(await service.reload(), { ok: true });
    assert.equal(service.pipeline.config.policies[0]!.semver, '>=1.0.0 <1.1.0');
    await service.queue.idle();
    await waitFor('the downgrade commit', async () => (await gitServer.readFile('fleet', 'main', 'apps/app.yaml')).includes(':1.0.0 '), 15_000);
    assert.equal(await readFile(configPath, 'utf8').then((t) => t.includes('<1.1.0')), true);
  });
});
