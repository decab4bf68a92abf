// One process per stateDir, with real processes (SPEC §7): while a `reconcile` is held in its push by
// a pre-receive hook, a second `reconcile` on the same stateDir exits 1 naming the first's pid; once
// the first is SIGKILLed, its lock file does not stop the next run, which lands the change.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCK_FILE } from '../../src/state/state-dir-lock.js';
import { builtMain } from '../helpers/built-dist.js';
import { trackChild } from '../helpers/exit-cleanup.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { shellQuote } from '../helpers/git-scripts.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/** The built program (dist/main.js), what the package and the container run. */
const MAIN = await builtMain();

/** Holds every push until `release` exists; `started` tells the test a push is being held. */
const holdingHook = (started: string, release: string) =>
  `#!/bin/sh\ncat >/dev/null\ntouch ${shellQuote(started)}\nwhile [ ! -e ${shellQuote(release)} ]; do sleep 0.1; done\nexit 0\n`;

function startCli(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAGPILOT_LOG_LEVEL: 'warn' } });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('one process per stateDir', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let configPath: string;
  const image = 'acme/app';

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('state-lock-process')]);
    const url = await gitServer.createRepo('fleet', { 'app.yaml': `image: ${registry.host}/${image}:1.0.0 # {"$imagepolicy": "app"}\n` });
    await registry.pushImage(image, '1.1.0');
    configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${registry.host}/${image}, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations: [{ name: fleet, git: { url: ${url} } }]
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${join(dir, 'state')}
`,
    );
  });
  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  it('refuses a second reconcile naming the first, and a SIGKILLed holder does not block the next', { timeout: 90_000 }, async () => {
    const started = join(dir, 'push-started');
    const release = join(dir, 'push-release');
    gitServer.setPreReceiveHook('fleet', holdingHook(started, release));

    const first = startCli(['reconcile', '--config', configPath]);
    try {
      await waitFor('the first reconcile to be held in its push', async () => existsSync(started), 60_000);

      const second = startCli(['reconcile', '--config', configPath]);
      const { code } = await second.exited;
      assert.equal(code, 1, second.stderr());
      assert.match(second.stderr(), new RegExp(`in use by pid ${first.child.pid} on host ${hostname().replace(/[.]/g, '\\.')}`));
      assert.equal(second.stdout(), '', 'the refusal is an error, not a result');
      assert.equal(first.child.exitCode, null, 'the refused run did not disturb the holder');

      first.child.kill('SIGKILL');
      await first.exited;
      assert.ok(existsSync(join(dir, 'state', LOCK_FILE)), 'a SIGKILLed process leaves its lock file behind');
    } finally {
      first.child.kill('SIGKILL');
    }

    await writeFile(release, '');
    const next = startCli(['reconcile', '--config', configPath]);
    const { code } = await next.exited;
    assert.equal(code, 0, next.stderr());
    // The killed run's push may still land once the hook lets it go (the server's receive-pack outlives
    // its client); either way the change is on the branch once, and this run saw or made it.
    assert.match(next.stdout(), /^fleet: (pushed [0-9a-f]{12} to main|no change|main is up to date)/m);
    assert.match(await gitServer.readFile('fleet', 'main', 'app.yaml'), /:1\.1\.0 /);
    assert.equal((await gitServer.log('fleet', 'main')).length, 2, 'one commit for the change');
    assert.equal(existsSync(join(dir, 'state', LOCK_FILE)), false, 'a run that ends releases the lock');
  });
});
