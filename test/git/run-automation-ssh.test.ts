// runAutomation over SSH against a real sshd: what run-automation.test.ts shows over HTTPS — a human
// push between our fetch and our push, the review branch, a revert, the merge request — holds when
// the remote is ssh:// (the repositories are the same bare ones; only the transport differs).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAutomation, type RunAutomationOptions } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import type { ImagePick } from '../../src/update/apply-setters.js';
import { humanCommitThenRejectHook } from '../helpers/git-scripts.js';
import { HUMAN_AUTHOR, startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { startSshGitServer, type TestSshServer } from '../helpers/ssh-git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const APP = 'ghcr.io/acme/app';
const marked = (tag: string) => `kind: Deployment\nspec:\n  image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;
const FILES = { 'apps/app.yaml': marked('1.0.0'), 'apps/config.yaml': 'kind: ConfigMap\ndata: { a: b }\n', 'README.md': 'fleet\n' };
const picks = (tag: string) => new Map<string, ImagePick>([['app', { policy: 'app', repository: APP, tag }]]);

describe('runAutomation over SSH', () => {
  let repos: TestGitServer;
  let sshd: TestSshServer;
  let dir: string;
  let count = 0;
  const log = createLogger('silent');

  before(async () => {
    repos = await startGitServer();
    [sshd, dir] = await Promise.all([startSshGitServer(repos.root), makeTempDir('run-automation-ssh')]);
  });
  after(async () => {
    await sshd?.stop();
    await repos?.stop();
    if (dir) await removeTempDir(dir);
  });

  async function fixture() {
    const name = `acme/fleet-${++count}`;
    await repos.createRepo(name, FILES);
    const options: RunAutomationOptions = { stateDir: join(dir, `state-${count}`), log, knownPolicies: new Set(['app']), pushRetryDelayMs: 1 };
    const automation = (git: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) =>
      AutomationConfig.parse({
        name: 'fleet',
        git: {
          url: sshd.url(name),
          branch: 'main',
          auth: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile },
          author: { name: 'tagpilot', email: 'tagpilot@example.test' },
          ...git,
        },
        paths: ['apps'],
        ...overrides,
      });
    return { name, options, automation };
  }

  it('commits and pushes the change, then stays quiet', async () => {
    const { name, options, automation } = await fixture();
    const first = await runAutomation(automation(), picks('1.2.3'), options);
    assert.equal(await repos.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.3'));
    assert.equal((await repos.log(name, 'main'))[0]!.sha, first.commit);
    const second = await runAutomation(automation(), picks('1.2.3'), options);
    assert.equal(second.commit, null);
  });

  it('logs in with an encrypted key whose passphrase sshKeyPassphraseEnv names', async () => {
    const { name, options, automation } = await fixture();
    const locked = await sshd.makeClientKey(`locked-${count}`, { passphrase: 'open sesame' });
    const config = automation({ auth: { sshKeyFile: locked, knownHostsFile: sshd.knownHostsFile, sshKeyPassphraseEnv: 'DEPLOY_KEY_PASSPHRASE' } });
    await runAutomation(config, picks('1.2.3'), { ...options, env: { DEPLOY_KEY_PASSPHRASE: 'open sesame' } });
    assert.equal(await repos.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.3'));
  });

  it('an unknown host fails the run at once as bad input, not as something to retry', async () => {
    const { options, automation } = await fixture();
    const empty = join(dir, `known_hosts-${count}`);
    await writeFile(empty, '');
    await assert.rejects(
      runAutomation(automation({ auth: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: empty } }), picks('1.2.3'), options),
      (err: Error) => err instanceof InputError && err.message.includes(sshd.hostKeyFingerprint),
    );
  });

  it('a human push between our fetch and our push: fetched again, re-applied on the new head', async () => {
    const { name, options, automation } = await fixture();
    repos.setPreReceiveHook(
      name,
      humanCommitThenRejectHook({ branch: 'main', files: { 'apps/config.yaml': 'kind: ConfigMap\ndata: { a: human }\n' }, message: 'Human edit', author: HUMAN_AUTHOR }),
    );
    const result = await runAutomation(automation(), picks('1.2.3'), options);
    assert.equal(result.pushAttempts, 2);
    const history = await repos.log(name, 'main');
    assert.deepEqual(history.map((c) => c.subject), [`Update ${APP} to 1.2.3`, 'Human edit', 'Initial commit']);
    assert.deepEqual(history[0]!.parents, [history[1]!.sha], 'linear: our commit sits on the human one');
    assert.equal(await repos.readFile(name, 'main', 'apps/config.yaml'), 'kind: ConfigMap\ndata: { a: human }\n');
  });

  it('rebuilds the review branch, leaves main alone, and does not push the same change twice', async () => {
    const { name, options, automation } = await fixture();
    const config = automation({ pushBranch: 'tagpilot/review' });
    const [initial] = await repos.log(name, 'main');
    const first = await runAutomation(config, picks('1.2.3'), options);
    assert.equal((await repos.log(name, 'main'))[0]!.sha, initial!.sha);
    assert.equal((await repos.log(name, 'tagpilot/review'))[0]!.sha, first.commit);
    const again = await runAutomation(config, picks('1.2.3'), options);
    assert.equal(again.alreadyPushed, first.commit);

    const human = await repos.commitAsHuman(name, 'main', { 'README.md': 'v2\n' }, 'Human edit');
    const rebuilt = await runAutomation(config, picks('1.2.3'), options);
    assert.deepEqual((await repos.log(name, 'tagpilot/review'))[0]!.parents, [human]);
    assert.equal((await repos.log(name, 'tagpilot/review'))[0]!.sha, rebuilt.commit);
  });

  it('holds back a tag whose commit a person reverted with the git CLI over SSH', async () => {
    const { name, options, automation } = await fixture();
    const bad = await runAutomation(automation(), picks('1.2.3'), options);
    const work = join(dir, `revert-${count}`);
    const env = { ...process.env, GIT_SSH_COMMAND: sshd.gitSshCommand, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const as = ['-c', `user.name=${HUMAN_AUTHOR.name}`, '-c', `user.email=${HUMAN_AUTHOR.email}`];
    await runCommand('git', ['clone', '--quiet', sshd.url(name), work], { env });
    await runCommand('git', [...as, 'revert', '--no-edit', bad.commit!], { cwd: work, env });
    await runCommand('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, env });
    await rm(work, { recursive: true, force: true });

    const held = await runAutomation(automation(), picks('1.2.3'), options);
    assert.equal(held.commit, null);
    assert.deepEqual(held.heldBack.map((h) => [h.tag, h.commit]), [['1.2.3', bad.commit]]);
    await runAutomation(automation(), picks('1.2.4'), options);
    assert.equal(await repos.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.4'));
  });

  it('opens the merge request for the project the SSH URL names', async () => {
    const { name, options, automation } = await fixture();
    const seen: { method: string; url: string; body: string }[] = [];
    const api: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body });
        const json = req.method === 'GET' ? [] : { iid: 7, title: 'x', description: '', web_url: 'https://gitlab.example.test/mr/7' };
        res.writeHead(req.method === 'GET' ? 200 : 201, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const config = automation({ pushBranch: 'tagpilot/review' }, { pullRequest: { provider: 'gitlab', tokenEnv: 'MR_TOKEN' } });
      const env = { MR_TOKEN: 'token', TAGPILOT_GITLAB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v4` };
      const result = await runAutomation(config, picks('1.2.3'), { ...options, env });
      assert.equal(result.pullRequest?.number, 7);
      const project = encodeURIComponent(name);
      assert.deepEqual(seen.map((s) => `${s.method} ${s.url.split('?')[0]}`), [`GET /api/v4/projects/${project}/merge_requests`, `POST /api/v4/projects/${project}/merge_requests`]);
      assert.equal(JSON.parse(seen[1]!.body).source_branch, 'tagpilot/review');
      assert.equal(await repos.readFile(name, 'tagpilot/review', 'apps/app.yaml'), marked('1.2.3'));
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
