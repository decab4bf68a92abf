// GitRepository over SSH against a real OpenSSH server: clone, push and fetch through git-upload-pack
// and git-receive-pack, one connection per operation, and every way the server or the key can be
// refused (unknown host, changed host key, a key the server does not accept, a locked key).
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { createGitSshClient, type SshAuth } from '../../src/git/git-ssh-client.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { parseSshRemote } from '../../src/git/ssh-remote.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { startSshGitServer, type TestSshServer } from '../helpers/ssh-git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

describe('git over SSH (sshd)', () => {
  let repos: TestGitServer;
  let sshd: TestSshServer;
  let dir: string;
  let count = 0;

  before(async () => {
    // The HTTP server only creates and reads the bare repositories; every fetch and push below goes through sshd.
    repos = await startGitServer();
    [sshd, dir] = await Promise.all([startSshGitServer(repos.root), makeTempDir('ssh-client')]);
  });
  after(async () => {
    await sshd?.stop();
    await repos?.stop();
    if (dir) await removeTempDir(dir);
  });

  async function fixture(auth: Partial<SshAuth> = {}) {
    const name = `fleet-${++count}`;
    await repos.createRepo(name, { 'apps/app.yaml': 'image: app:1.0.0\n', 'README.md': 'fleet\n' });
    const ssh: SshAuth = { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile, ...auth };
    const repo = new GitRepository(join(dir, name), sshd.url(name), { ssh });
    return { name, repo };
  }

  const logins = () => sshd.output().split('\n').filter((line) => line.startsWith('Accepted publickey')).length;

  it('clones, pushes and fetches, the requests of one operation on one SSH connection', async () => {
    const { name, repo } = await fixture();
    const before = logins();
    const ran = (await sshd.commands()).length;
    const commandsSince = async (start: number) => (await sshd.commands()).slice(start).map((c) => c.split(' ')[0]);
    const { head, clone } = await repo.fetchHead('main');
    assert.equal(clone, 'missing');
    // Its two requests (the ref advertisement, then the pack) share one connection and one command.
    assert.equal(logins() - before, 1, 'one SSH login for the whole clone');
    assert.deepEqual(await commandsSince(ran), ['git-upload-pack']);
    assert.equal(head, (await repos.log(name, 'main'))[0]!.sha);
    assert.equal(new TextDecoder().decode(await repo.readBlob((await repo.listFiles(head, ['apps'], () => true)).files[0]!.oid)), 'image: app:1.0.0\n');

    const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', 'image: app:1.2.0\n']]), 'Update app', { name: 'tagpilot', email: 't@example.test' });
    const beforePush = (await sshd.commands()).length;
    assert.deepEqual(await repo.push(commit, 'main'), { outcome: 'pushed', reason: '' });
    assert.deepEqual(await commandsSince(beforePush), ['git-receive-pack']);
    assert.equal(await repos.readFile(name, 'main', 'apps/app.yaml'), 'image: app:1.2.0\n');

    const human = await repos.commitAsHuman(name, 'main', { 'README.md': 'fleet v2\n' }, 'Human edit');
    assert.deepEqual(await repo.fetchHead('main'), { head: human, clone: 'reused' });
    assert.equal(await repo.remoteBranchHead('main'), human);
    assert.equal(await repo.remoteBranchHead('nope'), null);
  });

  it('rejects a push when the branch moved, as over HTTPS', async () => {
    const { name, repo } = await fixture();
    const { head } = await repo.fetchHead('main');
    const human = await repos.commitAsHuman(name, 'main', { 'README.md': 'moved\n' }, 'Human edit');
    const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', 'image: app:2.0.0\n']]), 'Update app', { name: 'tagpilot', email: 't@example.test' });
    const result = await repo.push(commit, 'main');
    assert.equal(result.outcome, 'rejected');
    assert.equal((await repos.log(name, 'main'))[0]!.sha, human);
  });

  it('accepts the host under a hashed known_hosts name (ssh-keygen -H)', async () => {
    const hashed = join(dir, 'known_hosts.hashed');
    await copyFile(sshd.knownHostsFile, hashed);
    await runCommand('ssh-keygen', ['-q', '-H', '-f', hashed]);
    const text = await readFile(hashed, 'utf8');
    assert.match(text, /^\|1\|/, 'the file now holds only hashed names');
    const { repo } = await fixture({ knownHostsFile: hashed });
    assert.match((await repo.fetchHead('main')).head, /^[0-9a-f]{40}$/);
  });

  it('refuses a host that knownHostsFile does not list, naming it and its key fingerprint', async () => {
    const elsewhere = join(dir, 'known_hosts.other');
    await writeFile(elsewhere, `${sshd.knownHostsLine.replace(/^\S+/, 'git.example.com')}\n`);
    const { repo } = await fixture({ knownHostsFile: elsewhere });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof InputError, `an InputError (not retried), got ${err.name}: ${err.message}`);
      assert.ok(!(err instanceof TransientError));
      assert.ok(err.message.includes(`[127.0.0.1]:${sshd.port}`), err.message);
      assert.ok(err.message.includes(sshd.hostKeyFingerprint), err.message);
      assert.match(err.message, /is not in git\.auth\.knownHostsFile/);
      return true;
    });
  });

  it('refuses a host whose key is not the one listed (a changed key)', async () => {
    const impostor = join(dir, 'impostor');
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', impostor]);
    const listed = (await readFile(`${impostor}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const changed = join(dir, 'known_hosts.changed');
    await writeFile(changed, `[127.0.0.1]:${sshd.port} ${listed}\n`);
    const { repo } = await fixture({ knownHostsFile: changed });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
      assert.ok(err.message.includes(`[127.0.0.1]:${sshd.port}`) && err.message.includes(sshd.hostKeyFingerprint), err.message);
      assert.match(err.message, /is not the one git\.auth\.knownHostsFile .* lists/);
      return true;
    });
  });

  it('refuses a server that has no host key of the type listed for it (its key changed type)', async () => {
    const rsa = join(dir, 'listed_rsa');
    await runCommand('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const listed = (await readFile(`${rsa}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const rsaOnly = join(dir, 'known_hosts.rsa');
    await writeFile(rsaOnly, `[127.0.0.1]:${sshd.port} ${listed}\n`);
    const { repo } = await fixture({ knownHostsFile: rsaOnly });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
      assert.match(err.message, /SSH handshake failed: .*host key types git\.auth\.knownHostsFile lists for \[127\.0\.0\.1\]:\d+: ssh-rsa/);
      return true;
    });
  });

  it('refuses a key marked @revoked', async () => {
    const revoked = join(dir, 'known_hosts.revoked');
    await writeFile(revoked, `@revoked ${sshd.knownHostsLine}\n${sshd.knownHostsLine}\n`);
    const { repo } = await fixture({ knownHostsFile: revoked });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => err instanceof InputError && /marks @revoked/.test(err.message));
  });

  it('reports a key the server does not accept as unauthorized, naming the key file and the config key', async () => {
    const stranger = await sshd.makeClientKey('stranger', { authorize: false });
    const { repo } = await fixture({ sshKeyFile: stranger });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof UnauthorizedError, `${err.name}: ${err.message}`);
      assert.ok(err.message.includes(stranger), err.message);
      assert.match(err.message, /git\.auth\.sshKeyFile/);
      assert.match(err.message, /SHA256:/);
      return true;
    });
  });

  it('unlocks an encrypted key with the passphrase, and says which setting is missing or wrong', async () => {
    const locked = await sshd.makeClientKey('locked', { passphrase: 'correct horse' });
    const { repo } = await fixture({ sshKeyFile: locked, sshKeyPassphraseEnv: 'KEY_PASS', passphrase: 'correct horse' });
    assert.match((await repo.fetchHead('main')).head, /^[0-9a-f]{40}$/);

    const { repo: withoutPassphrase } = await fixture({ sshKeyFile: locked });
    await assert.rejects(withoutPassphrase.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
      assert.match(err.message, /passphrase-protected; set git\.auth\.sshKeyPassphraseEnv/);
      return true;
    });
    const { repo: wrongPassphrase } = await fixture({ sshKeyFile: locked, sshKeyPassphraseEnv: 'KEY_PASS', passphrase: 'wrong' });
    await assert.rejects(wrongPassphrase.fetchHead('main'), (err: Error) => err instanceof InputError && /KEY_PASS/.test(err.message));
  });

  it('logs in with RSA and ECDSA keys too', async () => {
    for (const type of ['rsa', 'ecdsa'] as const) {
      const key = await sshd.makeClientKey(`client_${type}`, { type });
      const { repo } = await fixture({ sshKeyFile: key });
      assert.match((await repo.fetchHead('main')).head, /^[0-9a-f]{40}$/, type);
    }
  });

  it('says a repository the server does not have is not found', async () => {
    const repo = new GitRepository(join(dir, 'missing'), sshd.url('no-such-repo'), {
      ssh: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile },
    });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof NotFoundError, `${err.name}: ${err.message}`);
      assert.match(err.message, /does not appear to be a git repository/);
      return true;
    });
  });

  it('names an unreadable key file as bad input, before connecting', async () => {
    const { repo } = await fixture({ sshKeyFile: join(dir, 'no-such-key') });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => err instanceof InputError && /git\.auth\.sshKeyFile .*no-such-key: cannot read it \(ENOENT\)/.test(err.message));
  });

  it('gives up on a command that does not answer within the deadline, as transient', async () => {
    const hanging = await sshd.makeClientKey('hanging', { command: 'sleep 5' });
    const client = createGitSshClient(parseSshRemote(sshd.url('fleet-1'))!, { sshKeyFile: hanging, knownHostsFile: sshd.knownHostsFile }, 'the remote', 500);
    await assert.rejects(client.request({ url: 'https::the-remote/info/refs?service=git-upload-pack', method: 'GET' }), (err: Error) => {
      assert.ok(err instanceof TransientError, `${err.name}: ${err.message}`);
      assert.equal(err.message, 'the remote: no answer from git-upload-pack within 500 ms');
      return true;
    });
  });

  it('reports what the server said when it will not run git', async () => {
    const shell = await sshd.makeClientKey('no-git', { command: 'echo "Permission denied: this key is read-only" >&2; exit 1' });
    const { repo } = await fixture({ sshKeyFile: shell });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => {
      assert.ok(err instanceof UnauthorizedError, `${err.name}: ${err.message}`);
      assert.match(err.message, /git-upload-pack failed \(exit code 1\): Permission denied: this key is read-only/);
      return true;
    });
  });

  it('treats a server that is not listening as transient', async () => {
    const repo = new GitRepository(join(dir, 'closed'), `ssh://git@127.0.0.1:1/${'x'}.git`, {
      ssh: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile },
    });
    await assert.rejects(repo.fetchHead('main'), (err: Error) => err instanceof TransientError && /ECONNREFUSED/.test(err.message));
  });
});
