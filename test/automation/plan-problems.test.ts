// `plan` and `reconcile` list what they could not do in the files (SPEC §5): a marker naming an
// unknown policy, a file that does not parse, a symlink skipped; `plan --strict` exits 1 on any.
import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

describe('plan and reconcile report marker and file problems', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let config: (name: string) => string;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('plan-problems')]);
    await registry.pushImage('acme/app', '1.0.0');
    const image = `${registry.host}/acme/app`;
    const files = {
      'apps/app.yaml': `image: ${image}:1.0.0 # {"$imagepolicy": "app"}\n`,
      'apps/typo.yaml': `image: ${image}:0.1.0 # {"$imagepolicy": "ap"}\n`,
      'apps/broken.yaml': `a: [1, 2\nimage: ${image}:0.1.0 # {"$imagepolicy": "app"}\n`,
    };
    const clean = await gitServer.createRepo('clean', { 'apps/app.yaml': files['apps/app.yaml'] });
    const messy = await gitServer.createRepo('messy', files);
    // A symlink can only come from a real commit: clone, link, push.
    const work = join(dir, 'work');
    await runCommand('git', ['clone', '--quiet', messy, work]);
    await symlink('app.yaml', join(work, 'apps', 'link.yaml'));
    const identity = ['-c', 'user.name=t', '-c', 'user.email=t@example.test'];
    await runCommand('git', ['-C', work, 'add', '-A']);
    await runCommand('git', ['-C', work, ...identity, 'commit', '--quiet', '-m', 'link']);
    await runCommand('git', ['-C', work, 'push', '--quiet', 'origin', 'main']);

    config = (name) => join(dir, `${name}.yaml`);
    for (const [name, url] of [['clean', clean], ['messy', messy]] as const) {
      await writeFile(
        config(name),
        `images: [{ name: app, repository: ${image}, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations: [{ name: fleet, git: { url: ${url} }, paths: [apps] }]
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${join(dir, `state-${name}`)}
`,
      );
    }
  });

  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  async function cli(args: string[]) {
    let out = '';
    const code = await runCli(args, { out: (t) => (out += t), err: () => {}, env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' } });
    return { code, out };
  }

  const problems = [
    'apps/broken.yaml:2: skipped: not valid YAML: ',
    'apps/link.yaml: skipped: a symlink (tagpilot does not follow symlinks)',
    'apps/typo.yaml:1: marker names unknown policy "ap"',
  ];

  it('plan lists every problem under its automation, and exits 0 without --strict', async () => {
    const run = await cli(['plan', '--config', config('messy')]);
    assert.equal(run.code, 0, run.out);
    const lines = run.out.split('\n').filter((l) => l.startsWith('# problem: '));
    assert.equal(lines.length, 3, run.out);
    problems.forEach((p, i) => assert.ok(lines[i]!.startsWith(`# problem: ${p}`), `${lines[i]} starts with ${p}`));
    assert.match(run.out, /^# automation fleet: no change\n/);
  });

  it('plan --strict exits 1 on any problem, 0 when there is none', async () => {
    assert.equal((await cli(['plan', '--strict', '--config', config('messy')])).code, 1);
    const clean = await cli(['plan', '--strict', '--config', config('clean')]);
    assert.equal(clean.code, 0, clean.out);
    assert.equal(clean.out, '# automation fleet: no change\n');
  });

  it('reconcile lists them in its summary', async () => {
    const run = await cli(['reconcile', '--config', config('messy')]);
    assert.equal(run.code, 0, run.out);
    const lines = run.out.split('\n');
    assert.equal(lines[0], 'fleet: no change');
    problems.forEach((p, i) => assert.ok(lines[i + 1]!.startsWith(`fleet: problem: ${p}`), `${lines[i + 1]} starts with ${p}`));
  });
});
