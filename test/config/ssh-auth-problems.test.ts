// `tagpilot check` on an SSH remote: unreadable key or known_hosts files, a server the known_hosts
// file does not list, and an unset passphrase variable, each at its line and column.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tagpilot-ssh-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const key = join(dir, 'identity');
const knownHosts = join(dir, 'known_hosts');
writeFileSync(key, '-----BEGIN OPENSSH PRIVATE KEY-----\n');
writeFileSync(knownHosts, '[git.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n');

function config(url: string, auth: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, `automations:\n  - name: fleet\n    git:\n      url: ${url}\n      auth: ${auth}\n`);
  return path;
}

async function problems(path: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(path, env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split('\n').map((line) => line.slice(path.length + 1));
  }
}

describe('SSH auth in the config', () => {
  it('loads when the files are readable and the server is listed', async () => {
    const path = config('ssh://git@git.example.com:2222/acme/fleet.git', `{ sshKeyFile: ${key}, knownHostsFile: ${knownHosts}, sshKeyPassphraseEnv: KEY_PASS }`);
    assert.deepEqual(await problems(path, { KEY_PASS: 'x' }), []);
  });

  it('names each missing file, an unlisted server and an unset variable where they are written', async () => {
    const path = config('git@git.example.com:acme/fleet.git', `{ sshKeyFile: ${join(dir, 'nope')}, knownHostsFile: ${knownHosts}, sshKeyPassphraseEnv: KEY_PASS }`);
    const said = await problems(path);
    assert.equal(said.length, 3, said.join('\n'));
    assert.match(said[0]!, new RegExp(`^5:27: cannot read ${join(dir, 'nope')}: ENOENT$`));
    assert.match(said[1]!, /lists no key for git\.example\.com, so the server would be refused; add its line \(ssh-keyscan git\.example\.com\)/);
    assert.match(said[2]!, /environment variable KEY_PASS is not set/);
  });

  it('names a missing known_hosts file', async () => {
    const path = config('ssh://git@git.example.com:2222/acme/fleet.git', `{ sshKeyFile: ${key}, knownHostsFile: ${join(dir, 'no_known_hosts')} }`);
    assert.deepEqual((await problems(path)).map((p) => p.replace(/^\d+:\d+: /, '')), [`cannot read ${join(dir, 'no_known_hosts')}: ENOENT`]);
  });
});
