// git.auth.githubApp end to end: installation tokens minted from the App's key (checked by a stand-in
// of GitHub's API with the App's public key) clone and push through the real git http-backend server
// as x-access-token, open the pull request without a tokenEnv, and are minted again before they expire.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAutomation } from '../../src/automation/run-automation.js';
import { loadConfig } from '../../src/config/load-config.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { ConfigError, UnauthorizedError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { builtMain } from '../helpers/built-dist.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startGithubAppApi, type GithubAppApi } from '../helpers/github-app-api.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { startScriptedRegistry } from '../registry/scripted-registry.js';

const APP_ID = 123456;
const INSTALLATION_ID = 7890;
const APP = 'ghcr.io/acme/app';
const marked = (tag: string) => `image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;

/** An App key pair as GitHub hands it out: the private key in PKCS#1 PEM. */
function appKeys(): { privatePem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

describe('GitHub App auth', () => {
  let dir: string;
  let git: TestGitServer;
  let keyFile: string;
  let publicKey: KeyObject;
  /** The password of every request the git server accepted or refused, in order. */
  const gitPasswords: string[] = [];
  const apis: GithubAppApi[] = [];
  let validate: (password: string) => boolean = () => false;

  before(async () => {
    dir = await makeTempDir('github-app');
    const keys = appKeys();
    publicKey = keys.publicKey;
    keyFile = join(dir, 'app.pem');
    await writeFile(keyFile, keys.privatePem);
    git = await startGitServer({
      verify: (username, password) => {
        gitPasswords.push(password);
        return username === 'x-access-token' && validate(password);
      },
    });
  });
  after(async () => {
    await Promise.all([git?.stop(), ...apis.map((api) => api.stop())]);
    if (dir) await removeTempDir(dir);
  });

  async function api(tokenTtlSeconds: number): Promise<GithubAppApi> {
    const started = await startGithubAppApi({ appId: APP_ID, installationId: INSTALLATION_ID, publicKey, tokenTtlSeconds, repository: 'acme/fleet' });
    apis.push(started);
    validate = (password) => apis.some((a) => a.isValid(password));
    return started;
  }

  const automation = (url: string, extra: Record<string, unknown> = {}, privateKeyFile = keyFile) =>
    AutomationConfig.parse({
      name: 'fleet',
      git: { url, branch: 'main', auth: { githubApp: { appId: APP_ID, installationId: INSTALLATION_ID, privateKeyFile } } },
      paths: ['apps'],
      ...extra,
    });
  const run = (config: AutomationConfig, tag: string, apiUrl: string, state: string) =>
    runAutomation(config, new Map([['app', { policy: 'app', repository: APP, tag }]]), {
      stateDir: join(dir, state),
      log: createLogger('silent'),
      knownPolicies: new Set(['app']),
      env: { TAGPILOT_GITHUB_API_URL: apiUrl },
    });

  it('clones, pushes and opens the pull request with one installation token', async () => {
    const github = await api(3600);
    const url = await git.createRepo('acme/fleet', { 'apps/app.yaml': marked('1.0.0') });
    const config = automation(url, { git: { ...automation(url).git, pushBranch: 'tagpilot/review' }, pullRequest: { provider: 'github' } });
    const result = await run(config, '1.1.0', github.url, 'state-pr');
    assert.ok(result.commit);
    assert.equal(await git.readFile('acme/fleet', 'tagpilot/review', 'apps/app.yaml'), marked('1.1.0'));
    assert.deepEqual(github.mints.map((m) => m.status), [201]);
    const token = github.mints[0]!.token!;
    assert.ok(gitPasswords.length > 0 && gitPasswords.every((p) => p === token), 'every git request carried the installation token');
    assert.deepEqual(github.pulls, [{ title: `Update ${APP} to 1.1.0`, head: 'tagpilot/review', base: 'main', token }]);
    assert.equal(result.pullRequest?.action, 'created');
  });

  it('mints a new token once the one it holds nears expiry (the old one no longer opens the server)', async () => {
    const github = await api(3);
    const url = await git.createRepo('acme/short-lived', { 'apps/app.yaml': marked('1.0.0') });
    const config = automation(url);
    gitPasswords.length = 0;
    assert.ok((await run(config, '1.1.0', github.url, 'state-refresh')).commit);
    const first = github.mints[0]!.token!;
    // Past the first token's end: reusing it would be refused by the git server.
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    assert.equal(github.isValid(first), false);
    gitPasswords.length = 0;
    assert.ok((await run(config, '1.2.0', github.url, 'state-refresh')).commit);
    assert.deepEqual(github.mints.map((m) => m.status), [201, 201]);
    const second = github.mints[1]!.token!;
    assert.notEqual(second, first);
    assert.ok(gitPasswords.length > 0 && gitPasswords.every((p) => p === second));
    assert.equal(await git.readFile('acme/short-lived', 'main', 'apps/app.yaml'), marked('1.2.0'));
  });

  it('a key that is not the App key is refused by GitHub, and the error names the App and installation', async () => {
    const github = await api(3600);
    const url = await git.createRepo('acme/wrong-key', { 'apps/app.yaml': marked('1.0.0') });
    const otherKey = join(dir, 'other.pem');
    await writeFile(otherKey, appKeys().privatePem);
    await assert.rejects(run(automation(url, {}, otherKey), '1.1.0', github.url, 'state-wrong'), (err: unknown) => {
      assert.ok(err instanceof UnauthorizedError, String(err));
      assert.match((err as Error).message, new RegExp(`githubApp ${APP_ID} installation ${INSTALLATION_ID}: GitHub API at .* refused .*HTTP 401`));
      return true;
    });
    assert.equal(github.mints[0]?.refusal, 'signature does not verify with the App public key');
  });

  it('the built program (dist/, the GitHub App client bundled in it) mints the token: tagpilot reconcile', async () => {
    const github = await api(3600);
    const registry = await startScriptedRegistry();
    try {
      registry.script((req, res) => {
        if (!req.url?.startsWith('/v2/acme/app/tags/list')) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'acme/app', tags: ['1.0.0', '1.1.0'] }));
      });
      const image = (tag: string) => `image: ${registry.host}/acme/app:${tag} # {"$imagepolicy": "app"}\n`;
      const url = await git.createRepo('acme/built', { 'apps/app.yaml': image('1.0.0') });
      const config = join(dir, 'built.yaml');
      await writeFile(config, `images: [{ name: app, repository: ${registry.host}/acme/app }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
registries: [{ host: ${registry.host}, insecure: true }]
automations:
  - name: fleet
    git: { url: ${url}, branch: main, auth: { githubApp: { appId: ${APP_ID}, installationId: ${INSTALLATION_ID}, privateKeyFile: ${keyFile} } } }
    paths: [apps]
stateDir: ${join(dir, 'state-built')}
`);
      gitPasswords.length = 0;
      await runCommand(process.execPath, [await builtMain(), 'reconcile', '--config', config], {
        env: { PATH: process.env.PATH, TAGPILOT_GITHUB_API_URL: github.url, TAGPILOT_LOG_LEVEL: 'warn' },
      });
      assert.equal(await git.readFile('acme/built', 'main', 'apps/app.yaml'), image('1.1.0'));
      assert.deepEqual(github.mints.map((m) => m.status), [201]);
      assert.ok(gitPasswords.length > 0 && gitPasswords.every((p) => p === github.mints[0]!.token), 'every git request carried the installation token');
    } finally {
      await registry.close();
    }
  });

  it('check names a missing privateKeyFile and a pullRequest that has no token', async () => {
    const path = join(dir, 'config.yaml');
    await writeFile(
      path,
      `automations:
  - name: fleet
    git:
      url: https://github.com/acme/fleet.git
      pushBranch: review
      auth: { githubApp: { appId: 1, installationId: "2", privateKeyFile: ${join(dir, 'missing.pem')} } }
    pullRequest: { provider: github }
  - name: other
    git:
      url: https://gitlab.example.com/acme/fleet.git
      pushBranch: review
    pullRequest: { provider: gitlab }
`,
    );
    await assert.rejects(loadConfig(path, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const lines = err.message.split('\n');
      assert.equal(lines.length, 2, err.message);
      assert.match(lines[0]!, /:6:\d+: .*cannot read .*missing\.pem: ENOENT/);
      assert.match(lines[1]!, /:12:\d+: .*expected tokenEnv/);
      return true;
    });
    await writeFile(join(dir, 'missing.pem'), 'not a key');
    await assert.rejects(loadConfig(path, {}), /missing\.pem is not an RSA private key/);
  });
});
