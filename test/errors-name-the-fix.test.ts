// A refused login names what to fix (SPEC §7: permanent failures show their cause): a git 401 names
// the automation, the remote and the config key or variable holding the credential; a registry
// refusal names registries[HOST].auth…, or says that no credentials are configured for the host.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli.js';
import { startGitServer, type TestGitServer } from './helpers/git-server.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

describe('errors name the fix', () => {
  let registry: TestRegistry;
  let openRegistry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let repoUrl: string;

  before(async () => {
    [registry, openRegistry, gitServer, dir] = await Promise.all([
      startRegistry({ auth: { kind: 'htpasswd', username: 'bot', password: 'registry-pass' } }),
      startRegistry(),
      startGitServer({ username: 'bot', password: 'git-pass' }),
      makeTempDir('errors-fix'),
    ]);
    await openRegistry.pushImage('acme/app', '1.0.0');
    repoUrl = await gitServer.createRepo('fleet', { 'app.yaml': `image: ${openRegistry.host}/acme/app:0.1.0 # {"$imagepolicy": "app"}\n` });
  });

  after(async () => {
    await Promise.all([registry?.stop(), openRegistry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  async function reconcile(name: string, config: string, env: NodeJS.ProcessEnv) {
    const path = join(dir, `${name}.yaml`);
    await writeFile(path, `${config}stateDir: ${join(dir, `state-${name}`)}\n`);
    let out = '';
    const code = await runCli(['reconcile', '--config', path], {
      out: (t) => (out += t),
      err: () => {},
      env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent', ...env },
    });
    return { code, out };
  }

  const gitCases = [
    {
      label: 'a wrong token names the automation, the remote and the variable',
      auth: 'auth: { username: bot, passwordEnv: GIT_TOKEN }',
      env: { GIT_TOKEN: 'wrong-token' },
      message: (url: string) =>
        `automation fleet-prod: ${url}: the git server refused our credentials (HTTP 401): check automations[fleet-prod].git.auth.passwordEnv GIT_TOKEN (username bot) and that it may access this repository`,
    },
    {
      label: 'no credentials says how to add them',
      auth: '',
      env: {},
      message: (url: string) =>
        `automation fleet-prod: ${url}: the git server requires credentials (HTTP 401): no credentials configured: add automations[fleet-prod].git.auth with username and passwordEnv`,
    },
  ];
  for (const c of gitCases) {
    it(`git: ${c.label}`, async () => {
      const run = await reconcile(
        `git-${c.auth ? 'token' : 'none'}`,
        `images: [{ name: app, repository: ${openRegistry.host}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations:
  - name: fleet-prod
    git: { url: ${repoUrl} ${c.auth ? `, ${c.auth}` : ''} }
registries: [{ host: ${openRegistry.host}, insecure: true }]
`,
        c.env,
      );
      assert.equal(run.code, 1);
      assert.equal(run.out, `fleet-prod: failed: ${c.message(repoUrl)}\n`);
      assert.doesNotMatch(run.out, /wrong-token/);
    });
  }

  const registryCases = [
    {
      label: 'a wrong password names registries[HOST].auth and the variable',
      auth: ', auth: { username: bot, passwordEnv: REG_TOKEN }',
      message: (host: string) =>
        `${host}/acme/app: ${host} refused our credentials (HTTP 401, realm "tagpilot-test"): check registries[${host}].auth.passwordEnv REG_TOKEN (username bot)`,
    },
    {
      label: 'no credentials for the host says to add them',
      auth: '',
      message: (host: string) =>
        `${host}/acme/app: ${host} requires credentials (realm "tagpilot-test"): no credentials configured for host ${host}: add registries[] with host: ${host} and auth`,
    },
  ];
  for (const c of registryCases) {
    it(`registry: ${c.label}`, async () => {
      const run = await reconcile(
        `registry-${c.auth ? 'token' : 'none'}`,
        `images: [{ name: app, repository: ${registry.host}/acme/app, interval: 0 }]
registries: [{ host: ${registry.host}, insecure: true ${c.auth} }]
`,
        { REG_TOKEN: 'wrong-password' },
      );
      assert.equal(run.code, 1);
      assert.equal(run.out, `image app: failed: ${c.message(registry.host)}\n`);
    });
  }
});
