// A promotion becomes due on time without a new registry push (SPEC §2): `serve` with webhooks-only
// images (interval 0) and no trigger at all still promotes once the soak has passed, and
// /api/v1/status shows the wait before that.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { defaultCommitMessage } from '../../src/git/commit-message.js';
import { createLogger } from '../../src/log.js';
import { PromotionTimers } from '../../src/promotion/promotion-timers.js';
import { Service } from '../../src/serve.js';
import { commitScript } from '../helpers/git-scripts.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

describe('PromotionTimers', () => {
  it('fires once for the earliest due time, and a re-arm replaces the timer', async () => {
    const fired: string[] = [];
    const timers = new PromotionTimers((image) => fired.push(image), () => 0);
    timers.arm('app', [60_000_000]);
    timers.arm('app', [30, 10]); // due at 10 ms (+ the 1 s margin)
    await waitFor('the timer to fire', async () => fired.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(fired, ['app']);
    timers.arm('api', [0]);
    timers.arm('api', []);
    timers.stop();
  });
});

describe('a promotion due with no registry push', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let service: Service | undefined;
  let base: string;
  let repository: string;
  const marked = (tag: string, policy: string) => `image: ${repository}:${tag} # {"$imagepolicy": "${policy}"}\n`;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('promotion-due')]);
    repository = `${registry.host}/acme/app`;
    await registry.pushImage('acme/app', '1.0.0');
    await registry.pushImage('acme/app', '1.4.0');
  });
  after(async () => {
    await service?.stop();
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it('waits out the soak, says so in /api/v1/status, then promotes', async () => {
    const url = await gitServer.createRepo('fleet', { 'staging/app.yaml': marked('1.4.0', 'app-staging'), 'prod/app.yaml': marked('1.0.0', 'app-prod') });
    // Staging's commit of 1.4.0, written now as tagpilot would have.
    const message = defaultCommitMessage('staging', [{ file: 'staging/app.yaml', policy: 'app-staging', repository, from: '1.0.0', to: '1.4.0' }]);
    const script = join(dir, 'commit.sh');
    await writeFile(script, commitScript({ branch: 'main', files: { 'staging/app.yaml': marked('1.4.0', 'app-staging') + '# 1.4.0\n' }, message, author: { name: 'tagpilot', email: 'tagpilot@localhost' } }));
    await runCommand('sh', [script], { cwd: gitServer.repoPath('fleet') });
    await rm(script);

    const configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${repository}, interval: 0 }]
policies:
  - { name: app-staging, image: app, semver: '>=1.0.0' }
  - { name: app-prod, image: app, semver: '>=1.0.0', promotion: { from: staging, soak: 15s } }
automations:
  - { name: staging, git: { url: ${url} }, paths: [staging], policies: [app-staging], interval: 0 }
  - { name: prod, git: { url: ${url} }, paths: [prod], policies: [app-prod], interval: 0 }
registries: [{ host: ${registry.host}, insecure: true }]
server: { host: 127.0.0.1, port: 0 }
stateDir: ${join(dir, 'state')}
`,
    );
    service = await Service.start(await loadConfig(configPath, {}), { configPath, env: {} }, createLogger('silent'));
    base = `http://127.0.0.1:${service.port}`;

    await waitFor('the start-up scan to report the wait', async () => {
      const status = (await (await fetch(`${base}/api/v1/status`)).json()) as { policies: Array<{ name: string; promotion: { explanations: string[] } | null }> };
      const prod = status.policies.find((p) => p.name === 'app-prod');
      return (prod?.promotion?.explanations ?? []).some((e) => /^1\.4\.0: in staging for \d+s of 15s$/.test(e));
    });
    assert.match(await gitServer.readFile('fleet', 'main', 'prod/app.yaml'), /:1\.0\.0 #/, 'not before the soak');
    await waitFor('prod to be promoted without any push or trigger', async () => /:1\.4\.0 #/.test(await gitServer.readFile('fleet', 'main', 'prod/app.yaml')), 60_000);
    const [promoted] = await gitServer.log('fleet', 'main');
    assert.match(promoted!.subject, /^Promote \S+ 1\.4\.0 from staging after \d+s$/);
  });
});
