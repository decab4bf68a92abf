// SSH remote URLs (git-clone(1) "GIT URLS"), known_hosts matching (sshd(8) "SSH_KNOWN_HOSTS FILE
// FORMAT"), and what messages and the pull-request API make of an SSH URL.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { describe, it } from 'node:test';
import { AutomationConfig } from '../../src/config/schema.js';
import { judgeHostKey, knownHostKeys, sshFingerprint } from '../../src/git/known-hosts.js';
import { pullRequestTarget } from '../../src/git/pull-request.js';
import { redactUrl } from '../../src/git/redact-url.js';
import { isSshUrl, knownHostsName, parseSshRemote, remoteCommand } from '../../src/git/ssh-remote.js';

describe('SSH remote URLs', () => {
  const cases: [label: string, url: string, expected: ReturnType<typeof parseSshRemote>][] = [
    ['ssh:// with user and port', 'ssh://git@git.example.com:2222/acme/fleet.git', { user: 'git', host: 'git.example.com', port: 2222, path: '/acme/fleet.git' }],
    ['ssh:// without port', 'ssh://git@github.com/acme/fleet.git', { user: 'git', host: 'github.com', port: 22, path: '/acme/fleet.git' }],
    ['ssh:// without user: the local login, as ssh does', 'ssh://github.com/acme/fleet.git', { user: userInfo().username, host: 'github.com', port: 22, path: '/acme/fleet.git' }],
    ['ssh:// to a home directory', 'ssh://git@host/~alice/fleet.git', { user: 'git', host: 'host', port: 22, path: '~alice/fleet.git' }],
    ['ssh:// with an IPv6 host', 'ssh://git@[::1]:2222/fleet.git', { user: 'git', host: '::1', port: 2222, path: '/fleet.git' }],
    ['ssh:// with an escaped path', 'ssh://git@host/acme/my%20fleet.git', { user: 'git', host: 'host', port: 22, path: '/acme/my fleet.git' }],
    ['scp-like, relative to home', 'git@github.com:acme/fleet.git', { user: 'git', host: 'github.com', port: 22, path: 'acme/fleet.git' }],
    ['scp-like, absolute', 'deploy@10.0.0.5:/srv/git/fleet.git', { user: 'deploy', host: '10.0.0.5', port: 22, path: '/srv/git/fleet.git' }],
    ['https is not SSH', 'https://github.com/acme/fleet.git', undefined],
    ['scp-like without a user (a local path to git, ambiguous)', 'github.com:acme/fleet.git', undefined],
    ['ssh:// without a path', 'ssh://git@host', undefined],
    ['ssh:// with a password', 'ssh://git:secret@host/x.git', undefined],
  ];
  for (const [label, url, expected] of cases) {
    it(label, () => assert.deepEqual(parseSshRemote(url), expected));
  }

  it('names the host as known_hosts does: bare on port 22, [host]:port elsewhere', () => {
    assert.equal(knownHostsName({ host: 'github.com', port: 22 }), 'github.com');
    assert.equal(knownHostsName({ host: '127.0.0.1', port: 2222 }), '[127.0.0.1]:2222');
  });

  it('quotes the path the way git does for the remote shell', () => {
    assert.equal(remoteCommand('git-upload-pack', '/acme/fleet.git'), "git-upload-pack '/acme/fleet.git'");
    assert.equal(remoteCommand('git-receive-pack', "it's!.git"), "git-receive-pack 'it'\\''s'\\!'.git'");
  });

  it('keeps the SSH login in messages (it names the account, not a secret) and drops HTTP credentials', () => {
    assert.equal(redactUrl('ssh://git@host:2222/acme/fleet.git'), 'ssh://git@host:2222/acme/fleet.git');
    assert.equal(redactUrl('git@github.com:acme/fleet.git'), 'git@github.com:acme/fleet.git');
    assert.equal(redactUrl('ssh://git:secret@host/x.git'), 'ssh://git@host/x.git');
    assert.equal(redactUrl('https://bot:token@git.example.com/x.git'), 'https://git.example.com/x.git');
  });

  it('the config accepts both SSH forms with SSH auth, and says what is wrong otherwise', () => {
    const auth = { sshKeyFile: '/secrets/identity', knownHostsFile: '/secrets/known_hosts' };
    for (const url of ['ssh://git@host:2222/acme/fleet.git', 'git@github.com:acme/fleet.git']) {
      assert.equal(AutomationConfig.safeParse({ name: 'a', git: { url, auth } }).success, true, url);
      assert.equal(isSshUrl(url), true);
    }
    const messages = (git: Record<string, unknown>) => {
      const parsed = AutomationConfig.safeParse({ name: 'a', git });
      return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
    };
    assert.deepEqual(messages({ url: 'git@github.com:acme/fleet.git' }), ['an SSH url needs auth: { sshKeyFile, knownHostsFile }']);
    assert.deepEqual(messages({ url: 'https://github.com/acme/fleet.git', auth }), ['sshKeyFile and knownHostsFile need an ssh:// or user@host:path url']);
    assert.match(messages({ url: 'ftp://host/fleet.git' })[0]!, /expected an http\(s\):\/\/ URL, ssh:\/\/user@host\[:port\]\/path or user@host:path/);
  });
});

describe('known_hosts', () => {
  const ed = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'base64');
  const other = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIHOSTKEYHOSTKEYHOSTKEYHOSTKEYHOSTKEYHOSTKEYHO', 'base64');
  const line = (hosts: string, key = ed, marker = '') => `${marker}${hosts} ssh-ed25519 ${key.toString('base64')} comment`;
  const hashed = (name: string) => {
    const salt = randomBytes(20);
    return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  };
  const cases: [label: string, file: string, host: string, verdict: ReturnType<typeof judgeHostKey>][] = [
    ['a plain name', line('github.com'), 'github.com', 'known'],
    ['one of a comma-separated list', line('gitlab.com,github.com,1.2.3.4'), 'github.com', 'known'],
    ['names are case-insensitive', line('GitHub.com'), 'github.com', 'known'],
    ['[host]:port for another port', line('[127.0.0.1]:2222'), '[127.0.0.1]:2222', 'known'],
    ['a bare name does not cover another port', line('127.0.0.1'), '[127.0.0.1]:2222', 'unknown-host'],
    ['a wildcard', line('*.example.com'), 'git.example.com', 'known'],
    ['a negated pattern wins', line('*.example.com,!git.example.com'), 'git.example.com', 'unknown-host'],
    ['a hashed name', line(hashed('github.com')), 'github.com', 'known'],
    ['a hashed [host]:port', line(hashed('[127.0.0.1]:2222')), '[127.0.0.1]:2222', 'known'],
    ['a hashed name of another host', line(hashed('gitlab.com')), 'github.com', 'unknown-host'],
    ['comments and blank lines', `# github.com ssh-ed25519 x\n\n${line('github.com')}\n`, 'github.com', 'known'],
    ['another key for the host: changed', line('github.com', other), 'github.com', 'changed'],
    ['one of two keys for the host', `${line('github.com', other)}\n${line('github.com')}`, 'github.com', 'known'],
    ['@revoked', `${line('github.com')}\n${line('*', ed, '@revoked ')}`, 'github.com', 'revoked'],
    ['@cert-authority lines are not keys of the host', line('github.com', ed, '@cert-authority '), 'github.com', 'unknown-host'],
  ];
  for (const [label, file, host, verdict] of cases) {
    it(label, () => assert.equal(judgeHostKey(knownHostKeys(file, host), ed), verdict));
  }

  it('fingerprints a key as ssh-keygen -l does', () => {
    assert.match(sshFingerprint(ed), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('pull requests for an SSH remote', () => {
  const cases: [label: string, provider: 'github' | 'gitlab', url: string, apiUrl: string, project: string][] = [
    ['github.com, scp-like', 'github', 'git@github.com:acme/fleet.git', 'https://api.github.com', 'acme/fleet'],
    ['GitHub Enterprise, ssh:// with its SSH port', 'github', 'ssh://git@ghe.example.com:2222/acme/fleet.git', 'https://ghe.example.com/api/v3', 'acme/fleet'],
    ['GitLab, scp-like with a subgroup', 'gitlab', 'git@gitlab.example.com:acme/platform/fleet.git', 'https://gitlab.example.com/api/v4', 'acme/platform/fleet'],
    ['GitLab, ssh://', 'gitlab', 'ssh://git@gitlab.example.com/acme/fleet', 'https://gitlab.example.com/api/v4', 'acme/fleet'],
  ];
  for (const [label, provider, url, apiUrl, project] of cases) {
    it(`${label}: the API is on the same host over HTTPS`, () => assert.deepEqual(pullRequestTarget(provider, url, {}), { apiUrl, project }));
  }
  it('the override still wins', () => {
    assert.equal(pullRequestTarget('gitlab', 'git@gitlab.example.com:acme/fleet.git', { TAGPILOT_GITLAB_API_URL: 'http://127.0.0.1:1/api/v4' }).apiUrl, 'http://127.0.0.1:1/api/v4');
  });
});

describe('loading', () => {
  it('ssh2 is loaded only once an SSH remote or SSH signing key is used', async () => {
    const { runCommand } = await import('../helpers/run-command.js');
    const { compiledScript } = await import('../helpers/compiled-script.js');
    const [repository, signer, config] = ['src/git/git-repository.ts', 'src/git/commit-signer.ts', 'src/config/load-config.ts'].map(compiledScript);
    const script = `
      import { createRequire } from 'node:module';
      const { GitRepository } = await import(${JSON.stringify(repository!.url)});
      await import(${JSON.stringify(signer!.url)});
      await import(${JSON.stringify(config!.url)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/ssh2/'));
      new GitRepository('/tmp/unused', 'https://git.example.com/x.git');
      const before = loaded();
      const repo = new GitRepository('/tmp/unused', 'ssh://git@127.0.0.1:1/x.git', { ssh: { sshKeyFile: '/dev/null', knownHostsFile: '/dev/null' } });
      await repo.remoteBranchHead('main').catch(() => {});
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const { stdout } = await runCommand(process.execPath, [...repository!.execArgv, '--input-type=module', '-e', script]);
    assert.deepEqual(JSON.parse(stdout), { before: false, after: true });
  });
});
