// What a user installs: `npm pack` of this checkout, installed into an empty folder the way a user
// would (`npm install ./tagpilot-x.y.z.tgz`), must run, and run the patched isomorphic-git — which
// only holds if the build put it inside dist/ (patches/ and patch-package do not reach users).
//
// `npm pack` here would run prepare and prepack, which build dist/ twice with scripts/build.mjs
// (~5 s of CPU); the suite has built it once already (builtDist). So the package's files are
// packed as npm pack would (package.json's `files`, plus the files npm always adds) with that
// dist/ and --ignore-scripts, and the first test checks that prepack is what builds dist/ there.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { builtDist } from '../helpers/built-dist.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const PKG = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[]; scripts: Record<string, string> };
/** What npm adds to any package, whatever `files` says. */
const ALWAYS_PACKED = ['package.json', 'README.md', 'LICENSE'];

const CONFIG = `images:
  - name: app
    repository: ghcr.io/acme/app
policies:
  - name: app-stable
    image: app
    semver: '>=1.0.0 <2.0.0'
automations:
  - name: fleet
    git:
      url: https://git.example.com/acme/fleet.git
      auth: { username: oauth2, passwordEnv: GIT_TOKEN }
    commitMessage: 'Update {{#each changes}}{{repository}} to {{to}} {{/each}}'
`;

describe('npm pack, installed into an empty folder', () => {
  let scratch: string;
  let installed: string;
  let packedFiles: string[];

  before(async () => {
    scratch = await makeTempDir('pack');
    const source = join(scratch, 'checkout');
    for (const path of [...ALWAYS_PACKED, ...PKG.files.filter((f) => f !== 'dist')]) {
      if (existsSync(path)) cpSync(path, join(source, path), { recursive: true });
    }
    cpSync(await builtDist(), join(source, 'dist'), { recursive: true });
    const pack = await runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: source, timeoutMs: 120_000 });
    const [result] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    packedFiles = result!.files.map((f) => f.path);
    const user = join(scratch, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'package.json'), '{ "name": "user", "private": true }\n');
    // The npm cache answers when it can (CI has just run npm ci). --ignore-scripts: the package has
    // no install scripts of its own (checked below), so this skips only its dependencies' (ssh2's
    // optional native crypto, compiled with node-gyp: ~5 s of CPU), which `check` never loads.
    await runCommand('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(scratch, result!.filename)], {
      cwd: user,
      timeoutMs: 120_000,
    });
    installed = join(user, 'node_modules', 'tagpilot');
  });
  after(() => removeTempDir(scratch));

  it('npm pack builds dist/ first: prepack runs the build, scripts/build.mjs, which writes dist/', () => {
    assert.match(PKG.scripts.prepack ?? '', /^npm run build\b/);
    assert.match(PKG.scripts.build ?? '', /^node scripts\/build\.mjs$/);
    assert.match(readFileSync('scripts/build.mjs', 'utf8'), /const OUT_DIR = 'dist';/);
    assert.ok(PKG.files.includes('dist'));
  });

  it('ships the bundle, its source maps and the default config; not src/ or patches/', () => {
    assert.ok(packedFiles.includes('dist/main.js'));
    assert.ok(packedFiles.includes('dist/main.js.map'));
    assert.ok(packedFiles.includes('config/tagpilot.yaml'));
    assert.deepEqual(packedFiles.filter((f) => /^(src|patches|test)\//.test(f)), []);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['preinstall', 'install', 'postinstall']) {
      assert.equal(pkg.scripts[script], undefined, `an ${script} script would run in every user install (a postinstall running patch-package, a dev tool, say)`);
    }
  });

  it('its tagpilot binary runs check on a config', async () => {
    const dir = join(installed, '..', '..');
    writeFileSync(join(dir, 'tagpilot.yaml'), CONFIG);
    const { stdout } = await runCommand(join(dir, 'node_modules', '.bin', 'tagpilot'), ['check', '--config', 'tagpilot.yaml'], {
      cwd: dir,
      env: { PATH: process.env.PATH, GIT_TOKEN: 'x' },
    });
    assert.match(stdout, /tagpilot\.yaml: valid \(1 images, 1 policies, 1 automations\)/);
  });

  it('runs the patched isomorphic-git: bundled from the patched tree, not installed unpatched beside it', () => {
    assert.ok(!existsSync(join(installed, '..', 'isomorphic-git')), 'isomorphic-git is bundled, so npm must not install a copy');
    const chunks = readdirSync(join(installed, 'dist', 'chunks')).filter((f) => f.endsWith('.js'));
    const git = chunks.map((f) => readFileSync(join(installed, 'dist', 'chunks', f), 'utf8')).find((text) => text.includes('isomorphic-git'));
    assert.ok(git, 'a chunk holds isomorphic-git');
    // The hook the patch adds to clone and fetch (patches/README.md), which src/git passes.
    assert.match(git, /onIndexedObject/);
    assert.match(git, /\.inflateSync\(chunk, ?\{ ?info: ?(true|!0)/, 'the patch inflates pack objects with node:zlib');
  });

  it('maps stack traces to src/ files', async () => {
    const cli = readdirSync(join(installed, 'dist', 'chunks')).find((f) => /^cli-.*\.js$/.test(f));
    assert.ok(cli, 'the command line is its own chunk');
    const script = `
      process.setSourceMapsEnabled(true);
      const { runCli } = await import(${JSON.stringify(pathToFileURL(join(installed, 'dist', 'chunks', cli)).href)});
      await runCli(['--help'], { out: () => { throw new Error('boom'); }, err: () => {}, env: {} }).catch((err) => console.log(err.stack));
    `;
    const { stdout } = await runCommand(process.execPath, ['--input-type=module', '-e', script]);
    assert.match(stdout, /boom/);
    assert.match(stdout, /src\/cli\.ts:\d+:\d+/, `no src/cli.ts frame in:\n${stdout}`);
  });
});
