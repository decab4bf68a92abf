// The walking skeleton, end to end with real peers: tags pushed to a real registry end up as a
// commit on a real git server, through `tagpilot reconcile` and through `tagpilot serve`.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli.js';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log.js';
import { Service } from '../src/serve.js';
import { startGitServer, type TestGitServer } from './helpers/git-server.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

const DEPLOYMENT = (image: string) => `# the app, kept by tagpilot
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app   # keep this comment
spec:
  template:
    spec:
      containers:
        - name: app
          image: "${image}" # {"$imagepolicy": "app-stable"}
          ports:   [ {containerPort: 8080} ]
        - name: sidecar
          image: busybox:1.36
`;

describe('end to end: registry tag → pushed commit', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let repoUrl: string;
  let configPath: string;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([
      startRegistry(),
      startGitServer({ username: 'bot', password: 'git-token' }),
      makeTempDir('e2e'),
    ]);
    repoUrl = await gitServer.createRepo('fleet', {
      'clusters/prod/app.yaml': DEPLOYMENT(`${registry.host}/acme/app:0.9.0`),
      'clusters/prod/other.yml': 'image: untouched:1.0.0 # no marker\n',
      'README.md': `image: ${registry.host}/acme/app:0.9.0 # {"$imagepolicy": "app-stable"}\n`,
    });
    configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images:
  - name: app
    repository: ${registry.host}/acme/app
    interval: 0
policies:
  - name: app-stable
    image: app
    semver: '>=1.0.0'
automations:
  - name: fleet-prod
    git:
      url: ${repoUrl}
      branch: main
      auth: { username: bot, passwordEnv: GIT_TOKEN }
      author: { name: tagpilot, email: tagpilot@example.com }
    paths: [clusters/prod]
registries:
  - host: ${registry.host}
    insecure: true
stateDir: ${join(dir, 'state')}
server: { host: 127.0.0.1, port: 0 }
`,
    );
  });

  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  const env = () => ({ ...process.env, GIT_TOKEN: 'git-token', TAGPILOT_LOG_LEVEL: 'silent' });
  async function reconcile(command = 'reconcile'): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await runCli([command, '--config', configPath], {
      out: (t) => (out += t),
      err: () => {},
      env: env(),
    });
    return { code, out };
  }

  it('writes the newest allowed tag, changing only that scalar, then stays quiet', async () => {
    for (const tag of ['1.0.0', '1.2.3', '2.0.0-rc.1']) await registry.pushImage('acme/app', tag);

    const plan = await reconcile('plan');
    assert.equal(plan.code, 0, plan.out);
    assert.equal(
      plan.out,
      [
        '# automation fleet-prod: 1 file would change',
        'diff --git a/clusters/prod/app.yaml b/clusters/prod/app.yaml',
        '--- a/clusters/prod/app.yaml',
        '+++ b/clusters/prod/app.yaml',
        '@@ -8,7 +8,7 @@',
        '     spec:',
        '       containers:',
        '         - name: app',
        `-          image: "${registry.host}/acme/app:0.9.0" # {"$imagepolicy": "app-stable"}`,
        `+          image: "${registry.host}/acme/app:1.2.3" # {"$imagepolicy": "app-stable"}`,
        '           ports:   [ {containerPort: 8080} ]',
        '         - name: sidecar',
        '           image: busybox:1.36',
        '',
      ].join('\n'),
    );
    assert.equal((await gitServer.log('fleet', 'main')).length, 1, 'plan pushes nothing');

    const first = await reconcile();
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /fleet-prod: pushed [0-9a-f]{12} to main: Update .*acme\/app to 1\.2\.3/);

    const written = await gitServer.readFile('fleet', 'main', 'clusters/prod/app.yaml');
    assert.equal(written, DEPLOYMENT(`${registry.host}/acme/app:1.2.3`));
    assert.equal(await gitServer.readFile('fleet', 'main', 'clusters/prod/other.yml'), 'image: untouched:1.0.0 # no marker\n');
    // Outside `paths`: not touched even though it carries a marker.
    assert.match(await gitServer.readFile('fleet', 'main', 'README.md'), /acme\/app:0\.9\.0/);

    const log = await gitServer.log('fleet', 'main');
    assert.equal(log.length, 2);
    assert.equal(log[0]!.authorName, 'tagpilot');
    assert.equal(log[0]!.authorEmail, 'tagpilot@example.com');
    assert.equal(log[0]!.subject, `Update ${registry.host}/acme/app to 1.2.3`);
    assert.match(log[0]!.body, new RegExp(`- app-stable: ${registry.host}/acme/app 0\\.9\\.0 -> 1\\.2\\.3`));
    assert.match(log[0]!.body, /- clusters\/prod\/app\.yaml/);
    assert.match(log[0]!.body, /Tagpilot-Automation: fleet-prod/);

    const second = await reconcile();
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /fleet-prod: no change/);
    assert.equal((await gitServer.log('fleet', 'main')).length, 2, 'a second pass must not commit');
  });

  it('orders versions numerically: 1.10.0 beats 1.9.9', async () => {
    await registry.pushImage('acme/app', '1.9.9');
    await registry.pushImage('acme/app', '1.10.0');
    const run = await reconcile();
    assert.equal(run.code, 0, run.out);
    assert.match(await gitServer.readFile('fleet', 'main', 'clusters/prod/app.yaml'), /acme\/app:1\.10\.0" # \{"\$imagepolicy"/);
    assert.equal((await gitServer.log('fleet', 'main')).length, 3);
  });

  it('exits 1 when the git server refuses our credentials, and says which remote', async () => {
    await registry.pushImage('acme/app', '1.11.0');
    let out = '';
    const code = await runCli(['reconcile', '--config', configPath], {
      out: (t) => (out += t),
      err: () => {},
      env: { ...env(), GIT_TOKEN: 'wrong' },
    });
    assert.equal(code, 1);
    assert.match(out, /fleet-prod: failed: .*127\.0\.0\.1.*refused our credentials/);
    assert.doesNotMatch(out, /wrong/);
  });

  it('serve picks up a new tag at start-up and commits it', async () => {
    await registry.pushImage('acme/app', '1.12.0');
    const service = await Service.start(await loadConfig(configPath, env()), { configPath, env: env() }, createLogger('silent'));
    try {
      await service.queue.idle();
      assert.match(await gitServer.readFile('fleet', 'main', 'clusters/prod/app.yaml'), /acme\/app:1\.12\.0"/);
      const health = await fetch(`http://127.0.0.1:${service.port}/healthz`);
      assert.equal(health.status, 200);
      const status = (await (await fetch(`http://127.0.0.1:${service.port}/api/v1/status`)).json()) as {
        policies: Array<{ name: string; latest: { tag: string } | null }>;
        automations: Array<{ name: string; lastCommit: { subject: string } | null }>;
      };
      assert.equal(status.policies[0]!.latest!.tag, '1.12.0');
      assert.match(status.automations[0]!.lastCommit!.subject, /to 1\.12\.0$/);
    } finally {
      await service.stop();
    }
  });
});
