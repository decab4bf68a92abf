// SSH-signed commits: signingKeyFile holds an OpenSSH private key (ed25519, RSA, ECDSA; ssh-keygen
// made, the RSA one once and kept in test/helpers/ssh-keys/), and `git verify-commit` with
// gpg.format=ssh and an allowed-signers file accepts the commit.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAutomation } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { SIGNING_PASSPHRASE_ENV } from '../../src/git/commit-signer.js';
import { createLogger } from '../../src/log.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { KDF_ROUNDS, keptRsaKey } from '../helpers/ssh-git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const APP = 'ghcr.io/acme/app';
const EMAIL = 'tagpilot@example.test';
const marked = (tag: string) => `image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;

describe('SSH-signed commits', () => {
  let server: TestGitServer;
  let dir: string;
  let count = 0;

  before(async () => {
    [server, dir] = await Promise.all([startGitServer(), makeTempDir('ssh-signing')]);
  });
  after(async () => {
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  async function makeKey(name: string, args: string[], passphrase = ''): Promise<string> {
    const file = join(dir, name);
    await runCommand('ssh-keygen', ['-q', ...args, ...KDF_ROUNDS, '-N', passphrase, '-C', EMAIL, '-f', file]);
    return file;
  }

  /** An allowed-signers file trusting `keyFile`'s public key for EMAIL. */
  async function allowedSigners(keyFile: string): Promise<string> {
    const [type, key] = (await readFile(`${keyFile}.pub`, 'utf8')).trim().split(/\s+/);
    const file = `${keyFile}.allowed`;
    await writeFile(file, `${EMAIL} ${type} ${key}\n`);
    return file;
  }

  async function run(keyFile: string, env: NodeJS.ProcessEnv = {}) {
    const name = `fleet-${++count}`;
    const url = await server.createRepo(name, { 'apps/app.yaml': marked('1.0.0') });
    const automation = AutomationConfig.parse({
      name: 'fleet',
      git: { url, branch: 'main', author: { name: 'tagpilot', email: EMAIL }, signingKeyFile: keyFile },
      paths: ['apps'],
    });
    const options = { stateDir: join(dir, `state-${count}`), log: createLogger('silent'), knownPolicies: new Set(['app']), env };
    const picks = (tag: string) => new Map([['app', { policy: 'app', repository: APP, tag }]]);
    const result = await runAutomation(automation, picks('1.1.0'), options);
    // Reading our own signed commit back (the next run's history scan) works too.
    assert.equal((await runAutomation(automation, picks('1.1.0'), options)).commit, null);
    return { name, commit: result.commit! };
  }

  async function verify(repo: string, sha: string, allowed: string): Promise<string> {
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const args = ['--git-dir', server.repoPath(repo), '-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', sha];
    const { stderr } = await runCommand('git', args, { env });
    return stderr;
  }

  const keys: [label: string, key: string[] | 'kept RSA', type: RegExp][] = [
    ['ed25519', ['-t', 'ed25519'], /ED25519/],
    ['RSA (rsa-sha2-512)', 'kept RSA', /RSA/],
    ['ECDSA P-256', ['-t', 'ecdsa', '-b', '256'], /ECDSA/],
    ['ECDSA P-521', ['-t', 'ecdsa', '-b', '521'], /ECDSA/],
  ];
  for (const [label, key, type] of keys) {
    it(`${label}: git verify-commit accepts the signature`, async () => {
      const keyName = `key-${label.replace(/\W+/g, '-')}`;
      const keyFile = key === 'kept RSA' ? await keptRsaKey(join(dir, keyName)) : await makeKey(keyName, key);
      const { name, commit } = await run(keyFile);
      const said = await verify(name, commit, await allowedSigners(keyFile));
      assert.match(said, new RegExp(`Good "git" signature for ${EMAIL.replace('.', '\\.')} with ${type.source} key SHA256:`));
      const payload = (await runCommand('git', ['--git-dir', server.repoPath(name), 'cat-file', 'commit', commit])).stdout;
      assert.match(payload, /^gpgsig -----BEGIN SSH SIGNATURE-----$/m);
    });
  }

  it('a signature by another key is not accepted (the check can fail)', async () => {
    const signer = await makeKey('signer', ['-t', 'ed25519']);
    const stranger = await makeKey('stranger', ['-t', 'ed25519']);
    const { name, commit } = await run(signer);
    await assert.rejects(verify(name, commit, await allowedSigners(stranger)));
  });

  it('unlocks an encrypted key with the passphrase, and fails before pushing without it', async () => {
    const keyFile = await makeKey('locked', ['-t', 'ed25519'], 'correct horse');
    const { name, commit } = await run(keyFile, { [SIGNING_PASSPHRASE_ENV]: 'correct horse' });
    assert.match(await verify(name, commit, await allowedSigners(keyFile)), /Good "git" signature/);

    const url = await server.createRepo('locked-fleet', { 'apps/app.yaml': marked('1.0.0') });
    const automation = AutomationConfig.parse({ name: 'fleet', git: { url, signingKeyFile: keyFile }, paths: ['apps'] });
    const options = { stateDir: join(dir, 'state-locked'), log: createLogger('silent'), knownPolicies: new Set(['app']), env: {} };
    const picks = new Map([['app', { policy: 'app', repository: APP, tag: '2.0.0' }]]);
    await assert.rejects(runAutomation(automation, picks, options), (err: Error) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, /passphrase-protected; put the passphrase in .*locked\.passphrase or TAGPILOT_SIGNING_PASSPHRASE/);
      return true;
    });
    await writeFile(`${keyFile}.passphrase`, 'wrong\n');
    await assert.rejects(runAutomation(automation, picks, options), (err: Error) => err instanceof InputError && /not a usable SSH private key/.test(err.message));
    await rm(`${keyFile}.passphrase`);
    assert.equal((await server.log('locked-fleet', 'main')).length, 1, 'nothing pushed');
  });
});
