// Signed commits: `git verify-commit` with gpg accepts them; a wrong or missing passphrase is a
// clear input error and nothing is pushed.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { runAutomation } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { SIGNING_PASSPHRASE_ENV } from '../../src/git/commit-signer.js';
import { createLogger } from '../../src/log.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const APP = 'ghcr.io/acme/app';
const marked = (tag: string) => `image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;
const PASSPHRASE = 'correct horse battery staple';

describe('signed commits', () => {
  let server: TestGitServer;
  let dir: string;
  let gnupgHome: string;
  let keyFile: string;
  let url: string;

  before(async () => {
    [server, dir] = await Promise.all([startGitServer(), makeTempDir('signing')]);
    const { privateKey, publicKey } = await openpgp.generateKey({
      type: 'ecc',
      userIDs: [{ name: 'tagpilot', email: 'tagpilot@example.test' }],
      passphrase: PASSPHRASE,
      format: 'armored',
    });
    await mkdir(join(dir, 'keys'));
    keyFile = join(dir, 'keys', 'git.asc');
    await writeFile(keyFile, privateKey);
    gnupgHome = join(dir, 'gnupg');
    await mkdir(gnupgHome, { mode: 0o700 });
    await runCommand('gpg', ['--batch', '--quiet', '--import'], { env: { ...process.env, GNUPGHOME: gnupgHome }, input: publicKey });
    url = await server.createRepo('fleet', { 'apps/app.yaml': marked('1.0.0') });
  });
  after(async () => {
    // gpg may have started an agent for this home; it must not outlive the test.
    if (gnupgHome) await runCommand('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: gnupgHome } }).catch(() => {});
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  const config = () =>
    AutomationConfig.parse({
      name: 'fleet',
      git: { url, branch: 'main', author: { name: 'tagpilot', email: 'tagpilot@example.test' }, signingKeyFile: keyFile },
      paths: ['apps'],
    });
  const options = (env: NodeJS.ProcessEnv = {}) => ({
    stateDir: join(dir, 'state'),
    log: createLogger('silent'),
    knownPolicies: new Set(['app']),
    env,
  });
  const picks = (tag: string) => new Map([['app', { policy: 'app', repository: APP, tag }]]);

  async function verify(sha: string): Promise<string> {
    const env = { ...process.env, GNUPGHOME: gnupgHome, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const { stderr } = await runCommand('git', ['--git-dir', server.repoPath('fleet'), 'verify-commit', '--verbose', sha], { env });
    return stderr;
  }

  it('signs with the passphrase from the environment, and git verify-commit accepts it', async () => {
    const result = await runAutomation(config(), picks('1.1.0'), options({ [SIGNING_PASSPHRASE_ENV]: PASSPHRASE }));
    assert.ok(result.commit);
    assert.match(await verify(result.commit), /Good signature from "tagpilot <tagpilot@example\.test>"/);
  });

  it('reads the passphrase from <signingKeyFile>.passphrase', async () => {
    await writeFile(`${keyFile}.passphrase`, `${PASSPHRASE}\n`);
    try {
      const result = await runAutomation(config(), picks('1.2.0'), options());
      assert.match(await verify(result.commit!), /Good signature/);
    } finally {
      await writeFile(`${keyFile}.passphrase`, '');
    }
  });

  it('a wrong or missing passphrase fails before anything is pushed', async () => {
    const before = (await server.log('fleet', 'main')).length;
    await writeFile(`${keyFile}.passphrase`, 'wrong passphrase\n');
    await assert.rejects(runAutomation(config(), picks('1.3.0'), options()), (err: Error) => {
      assert.ok(err instanceof InputError, String(err));
      assert.equal(err.message, `signingKeyFile ${keyFile}: the passphrase does not unlock the key`);
      return true;
    });
    await import('node:fs/promises').then((fs) => fs.rm(`${keyFile}.passphrase`));
    await assert.rejects(runAutomation(config(), picks('1.3.0'), options()), /passphrase-protected; put the passphrase in .*git\.asc\.passphrase or TAGPILOT_SIGNING_PASSPHRASE/);
    assert.equal((await server.log('fleet', 'main')).length, before);
  });

  it('an unsigned commit is not accepted by verify-commit (the check can fail)', async () => {
    const unsigned = AutomationConfig.parse({ name: 'fleet', git: { url, branch: 'main' }, paths: ['apps'] });
    const result = await runAutomation(unsigned, picks('1.4.0'), options());
    await assert.rejects(verify(result.commit!));
  });
});
