// End to end over SSH, as a Flux-bootstrapped repository is reached: `tagpilot check` and
// `tagpilot reconcile` as separate processes, a real registry, a real sshd, an encrypted deploy key
// and an SSH signing key. The process must also end by itself once the run is done (an SSH
// connection left holding it would hang this test).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtMain } from './helpers/built-dist.js';
import { startGitServer, type TestGitServer } from './helpers/git-server.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { CommandError, runCommand } from './helpers/run-command.js';
import { startSshGitServer, type TestSshServer } from './helpers/ssh-git-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

describe('end to end over SSH: registry tag → signed commit pushed over SSH', () => {
  let registry: TestRegistry;
  let repos: TestGitServer;
  let sshd: TestSshServer;
  let dir: string;
  let config: string;
  let signingKey: string;

  before(async () => {
    [registry, repos, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('ssh-e2e')]);
    sshd = await startSshGitServer(repos.root);
    await repos.createRepo('acme/fleet', { 'clusters/prod/app.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n` });
    await registry.pushImage('acme/app', '1.0.0');
    await registry.pushImage('acme/app', '1.1.0');
    const deployKey = await sshd.makeClientKey('deploy', { passphrase: 'deploy pass' });
    signingKey = join(dir, 'signing');
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tagpilot@example.test', '-f', signingKey]);
    config = join(dir, 'tagpilot.yaml');
    await writeFile(
      config,
      `images:
  - name: app
    repository: ${registry.host}/acme/app
    interval: 0
policies:
  - name: app
    image: app
    semver: '>=1.0.0'
automations:
  - name: fleet
    git:
      url: ${sshd.url('acme/fleet')}
      auth: { sshKeyFile: ${deployKey}, knownHostsFile: ${sshd.knownHostsFile}, sshKeyPassphraseEnv: DEPLOY_KEY_PASSPHRASE }
      author: { name: tagpilot, email: tagpilot@example.test }
      signingKeyFile: ${signingKey}
    paths: [clusters/prod]
registries:
  - host: ${registry.host}
    insecure: true
stateDir: ${join(dir, 'state')}
`,
    );
  });
  after(async () => {
    await sshd?.stop();
    await Promise.all([registry?.stop(), repos?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  const tagpilot = async (command: string, env: NodeJS.ProcessEnv) =>
    runCommand(process.execPath, [await builtMain(), command, '--config', config], {
      env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent', ...env },
      timeoutMs: 60_000,
    });

  it('check names the unset passphrase variable; reconcile then pushes a signed commit over SSH and exits', async () => {
    await assert.rejects(tagpilot('check', {}), (err: Error) => err instanceof CommandError && /DEPLOY_KEY_PASSPHRASE is not set/.test(err.stdout + err.stderr));
    await tagpilot('check', { DEPLOY_KEY_PASSPHRASE: 'deploy pass' });

    await tagpilot('reconcile', { DEPLOY_KEY_PASSPHRASE: 'deploy pass' });
    assert.equal(await repos.readFile('acme/fleet', 'main', 'clusters/prod/app.yaml'), `image: ${registry.host}/acme/app:1.1.0 # {"$imagepolicy": "app"}\n`);
    const [head] = await repos.log('acme/fleet', 'main');
    const allowed = join(dir, 'allowed_signers');
    const [type, key] = (await readFile(`${signingKey}.pub`, 'utf8')).trim().split(/\s+/);
    await writeFile(allowed, `tagpilot@example.test ${type} ${key}\n`);
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const { stderr } = await runCommand(
      'git',
      ['--git-dir', repos.repoPath('acme/fleet'), '-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', head!.sha],
      { env },
    );
    assert.match(stderr, /Good "git" signature for tagpilot@example\.test/);
    assert.deepEqual((await sshd.commands()).map((c) => c.split(' ')[0]), ['git-upload-pack', 'git-receive-pack']);
  });
});
