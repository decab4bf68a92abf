// The README's commands run as written: the install (`npm ci`) runs the prepare script, which
// compiles the CLI, so `npx tagpilot check` works in the checkout straight after it. The install
// itself is not repeated here (it would download every dependency): a copy of the checkout shares
// this one's node_modules and runs the same prepare script npm ci runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const run = (cwd: string, command: string, args: string[]) =>
  spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' }, timeout: 240_000 });

describe('npx tagpilot after npm ci', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('npx');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('the prepare script builds the bin, and npx tagpilot check validates the default config', { timeout: 300_000 }, () => {
    const checkout = join(dir, 'checkout');
    for (const path of ['package.json', 'tsconfig.json', 'patches', 'src', 'scripts', 'config']) cpSync(path, join(checkout, path), { recursive: true });
    symlinkSync(resolve('node_modules'), join(checkout, 'node_modules'));
    const prepare = run(checkout, 'npm', ['run', '--silent', 'prepare']);
    assert.equal(prepare.status, 0, `${prepare.stdout}${prepare.stderr}`);
    assert.ok(existsSync(join(checkout, 'dist/main.js')));
    const check = run(checkout, 'npx', ['--no-install', 'tagpilot', 'check']);
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /^config\/tagpilot\.yaml: valid \(\d+ images, \d+ policies, \d+ automations\)\n$/);
  });

  // The Dockerfile's install stages copy package.json and patches/ but neither scripts/ nor src/.
  const stages: Array<[string, string[]]> = [
    ['package.json alone (the Docker install stages)', ['package.json', 'patches']],
    ['no source to build', ['package.json', 'patches', 'scripts']],
  ];
  for (const [label, paths] of stages) {
    it(`the prepare script does nothing with ${label}`, () => {
      const stage = join(dir, label.replace(/\W+/g, '-'));
      for (const path of paths) cpSync(path, join(stage, path), { recursive: true });
      // What npm ci installed before it runs prepare.
      symlinkSync(resolve('node_modules'), join(stage, 'node_modules'));
      const prepare = run(stage, 'npm', ['run', '--silent', 'prepare']);
      assert.equal(prepare.status, 0, `${prepare.stdout}${prepare.stderr}`);
      assert.ok(!existsSync(join(stage, 'dist')));
    });
  }
});
