// Work the bundle does not do as it loads (scripts/build.mjs): got's argument checks
// (@sindresorhus/is) build their Intl.ListFormat when an error message needs one, not at load,
// where the first one cost ~20 ms of every command that loads got; Handlebars compiles templates
// without source-map; a reconcile loads the pull request clients only for an automation that opens
// pull requests, the plan renderer (and its diff library) only for `plan`, and Handlebars only for a
// config with a commitMessage; node:assert, node:timers/promises and perf_hooks load only when used;
// and only the chunks that call require() pay for the createRequire banner (issue 18: each command
// loads only what it uses).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build as esbuild, type Plugin } from 'esbuild';
import { builtDist, builtMain } from '../helpers/built-dist.js';
import { startGitServer } from '../helpers/git-server.js';
import { startRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** Counts the Intl.ListFormat built in the process and says how many at exit. */
const COUNT_LIST_FORMATS = `data:text/javascript,${encodeURIComponent(`
let built = 0;
const ListFormat = Intl.ListFormat;
Intl.ListFormat = class extends ListFormat { constructor(...args) { super(...args); built += 1; } };
process.on('exit', () => process.stderr.write('list formats built: ' + built + '\\n'));
`)}`;

/**
 * Watches resolution and loading behind tagpilot's own hooks (registered later, so they run first):
 * counts the bundle's relative imports that reached Node's resolver, and at exit lists every file
 * loaded whose URL is not the canonical one (its real path), which would load a module twice.
 */
const watchResolution = (bundle: string) =>
  `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
const bundle = ${JSON.stringify(bundle)};
let resolvedByNode = 0;
const loaded = [];
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith('./') && context.parentURL?.startsWith(bundle)) resolvedByNode += 1;
    return next(specifier, context);
  },
  load(url, context, next) {
    if (url.startsWith(bundle)) loaded.push(url);
    return next(url, context);
  },
});
process.on('exit', () => {
  const odd = loaded.filter((url) => pathToFileURL(realpathSync(fileURLToPath(url))).href !== url);
  process.stderr.write('bundle imports resolved by node: ' + resolvedByNode + '\\n');
  process.stderr.write('bundle files loaded: ' + loaded.length + ', by other URLs than their real paths: ' + JSON.stringify(odd) + '\\n');
});
`)}`;

/** Prints, at exit, the Node internals the process loaded after this preload. */
const LIST_BUILTINS = `data:text/javascript,${encodeURIComponent(`
const before = new Set(process.moduleLoadList);
process.on('exit', () => process.stderr.write('builtins: ' + JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))) + '\\n'));
`)}`;

/**
 * Runs node with `args` and Node's compile cache reporting each module it loads
 * (NODE_DEBUG_NATIVE=COMPILE_CACHE), stderr into `stderrFile`: Node's native debug lines are written
 * to a non-blocking pipe and lost when the pipe is full (a busy machine, a slow reader), which once
 * left got's chunk unnamed. Not spawnSync: a test's git server answers from this process.
 */
async function runLoggingLoads(args: string[], stderrFile: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const errFd = openSync(stderrFile, 'w');
  try {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', errFd],
      env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent', NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const [status] = (await once(child, 'close')) as [number | null];
    return { status, stdout, stderr: readFileSync(stderrFile, 'utf8') };
  } finally {
    closeSync(errFd);
  }
}

/** What probeBundled builds and runs. */
interface BundleProbe {
  /** Which of scripts/build.mjs's plugins bundles `source`. */
  plugin: 'builtinsByRequire' | 'loadedOnFirstUse';
  /** Where `source` is written; the bundle goes beside it. */
  file: string;
  source: string;
  /** The Node built-in whose loading `loaded()` reports. */
  builtin: string;
  /** A function body run with the bundle required as `bundle`; what it returns is the result. */
  probe: string;
}

/**
 * Bundles `source` (CommonJS, packages resolved from this checkout's node_modules as the build
 * resolves them) with one of scripts/build.mjs's plugins, and runs `probe` in a fresh node, where
 * `loaded()` says whether `builtin` has loaded since the bundle's require began. The script is
 * imported by a variable: the .mjs has no type declarations.
 */
async function probeBundled({ plugin, file, source, builtin, probe }: BundleProbe): Promise<unknown> {
  writeFileSync(file, source);
  const bundle = file.replace(/\.[cm]?js$/, '-bundle.cjs');
  const buildScript = '../../scripts/build.mjs';
  const plugins = (await import(buildScript)) as Record<BundleProbe['plugin'], Plugin>;
  const nodePaths = [join(process.cwd(), 'node_modules')];
  await esbuild({ entryPoints: [file], outfile: bundle, bundle: true, format: 'cjs', platform: 'node', nodePaths, plugins: [plugins[plugin]], logLevel: 'error' });
  const script = `
const before = new Set(process.moduleLoadList);
const loaded = () => process.moduleLoadList.some((m) => !before.has(m) && m === ${JSON.stringify(`NativeModule ${builtin}`)});
const bundle = require(${JSON.stringify(bundle)});
console.log(JSON.stringify((() => {${probe}})()));
`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** The bundle's chunks Node's compile cache says it loaded (NODE_DEBUG_NATIVE=COMPILE_CACHE on stderr). */
const chunksLoaded = (stderr: string): Set<string> => new Set([...stderr.matchAll(/for ESM (file:\S+?\.js)/g)].map(([, url]) => url!));

/** The chunk of the bundle beside `main` whose source map names `source` (a path ending). */
function chunkHolding(main: string, source: string): string | undefined {
  const chunks = join(dirname(main), 'chunks');
  const holds = (name: string) => (JSON.parse(readFileSync(join(chunks, `${name}.map`), 'utf8')) as { sources: string[] }).sources.some((s) => s.endsWith(source));
  const name = readdirSync(chunks).find((n) => n.endsWith('.js') && holds(n));
  return name && pathToFileURL(join(chunks, name)).href;
}

/** The relative static imports of main.js's static graph: Node links them before main.js registers its hooks. */
function importsLinkedBeforeHooks(main: string): number {
  const seen = new Set<string>();
  let imports = 0;
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*"(\.\/[^"]+)"/g)) {
      imports += 1;
      visit(join(dirname(file), specifier!));
    }
  };
  visit(main);
  return imports;
}

describe('work the bundle leaves until it is needed', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('load-time');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('a reconcile with nothing to do loads got but builds no Intl.ListFormat', async () => {
    const config = join(dir, 'tagpilot.yaml');
    writeFileSync(config, `stateDir: ${join(dir, 'state')}\n`);
    const main = await builtMain();
    const { status, stdout, stderr } = await runLoggingLoads(['--import', COUNT_LIST_FORMATS, main, 'reconcile', '--config', config], join(dir, 'reconcile.stderr'));
    assert.equal(status, 0, stdout + stderr);
    assert.match(stderr, /list formats built: 0\n/);
    // Node's compile cache names each module it loads: got's chunk was among them.
    const got = chunkHolding(main, 'got/dist/source/index.js');
    assert.ok(got && chunksLoaded(stderr).has(got), `got's chunk (${got}) was not loaded:\n${stderr}`);
  });

  it('a reconcile that pushes, for an automation without pullRequest or commitMessage, loads no pull request client, plan renderer or Handlebars, nor assert, timers/promises, perf_hooks or dns', { timeout: 60_000 }, async () => {
    const [git, registry] = await Promise.all([startGitServer(), startRegistry()]);
    try {
      const image = `${registry.host}/acme/app`;
      const url = await git.createRepo('fleet', { 'app.yaml': `image: ${image}:1.0.0 # {"$imagepolicy": "app"}\n` });
      await registry.pushImage('acme/app', '1.1.0');
      const config = join(dir, 'pushes.yaml');
      writeFileSync(
        config,
        `stateDir: ${join(dir, 'state-pushes')}
registries: [{ host: '${registry.host}', insecure: true }]
images: [{ name: app, repository: ${image} }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations: [{ name: fleet, git: { url: ${url} } }]
`,
      );
      const main = await builtMain();
      const { status, stdout, stderr } = await runLoggingLoads(['--import', LIST_BUILTINS, main, 'reconcile', '--config', config], join(dir, 'pushes.stderr'));
      assert.equal(status, 0, stdout + stderr);
      assert.match(stdout, /fleet: pushed [0-9a-f]{12} to main/);
      // Nor the built-ins a run without retries or a closing log stream does not use, nor perf_hooks
      // (the `performance` global: durations are read from process.hrtime, src/monotonic-ms.ts), nor
      // dns (got's cacheable-lookup, for a dnsCache option tagpilot does not set).
      const builtins = JSON.parse(/builtins: (.*)\n/.exec(stderr)?.[1] ?? 'null') as string[] | null;
      assert.ok(builtins && builtins.some((m) => m.endsWith(' http')), `reconcile loaded http: ${stderr.slice(-2000)}`);
      const unwanted = ['assert', 'timers/promises', 'perf_hooks', 'internal/perf/performance', 'dns'];
      assert.deepEqual(builtins.filter((m) => unwanted.some((name) => m.endsWith(` ${name}`))), []);
      assert.match(await git.readFile('fleet', 'main', 'app.yaml'), /:1\.1\.0 /);
      const loaded = chunksLoaded(stderr);
      const automation = chunkHolding(main, 'src/automation/run-automation.ts');
      assert.ok(automation && loaded.has(automation), `the automation's chunk (${automation}) was not loaded:\n${stderr}`);
      for (const unused of ['src/git/pull-request.ts', 'src/git/github-app-token.ts', 'src/automation/render-plan.ts', 'src/git/commit-template.ts']) {
        const chunk = chunkHolding(main, unused);
        assert.ok(chunk, `no chunk holds ${unused}`);
        assert.ok(!loaded.has(chunk), `${unused} was loaded (${chunk})`);
      }
    } finally {
      await Promise.all([git.stop(), registry.stop()]);
    }
  });

  it('a reconcile against plain-HTTP peers loads neither TLS nor child_process, nor assert or timers/promises (loaded when first used)', async () => {
    const config = join(dir, 'plain-http.yaml');
    writeFileSync(config, `stateDir: ${join(dir, 'state-plain')}\nregistries:\n  - host: 127.0.0.1:9\n    insecure: true\n`);
    const run = spawnSync(process.execPath, ['--import', LIST_BUILTINS, await builtMain(), 'reconcile', '--config', config], {
      encoding: 'utf8',
      env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' },
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const loaded = JSON.parse(/builtins: (.*)\n/.exec(run.stderr)?.[1] ?? 'null') as string[] | null;
    // got's request code and our http client were loaded: http is there, https and tls are not.
    assert.ok(loaded && loaded.some((m) => m.endsWith(' http')), `reconcile loaded http: ${run.stderr}`);
    // assert: sonic-boom's require, for a check as a log stream closes; timers/promises: got's retry delays.
    const unwanted = ['tls', 'https', '_tls_wrap', 'internal/tls/wrap', 'child_process', 'assert', 'timers/promises'];
    assert.deepEqual(loaded.filter((m) => unwanted.some((name) => m.endsWith(` ${name}`))), []);
  });

  it('every chunk loads, and only those that call require() carry the createRequire banner', async () => {
    const dist = await builtDist();
    const files = [join(dist, 'main.js'), ...readdirSync(join(dist, 'chunks')).filter((name) => name.endsWith('.js')).map((name) => join(dist, 'chunks', name))];
    // Split: scripts/run-tests.mjs replaces that expression in test files with the file's own URL.
    const banner = 'const require = __createRequire(import.meta' + '.url);';
    const withBanner = files.filter((file) => readFileSync(file, 'utf8').includes(banner));
    // esbuild's runtime chunk (its __require) and the bundled CommonJS packages that require() keep it.
    assert.ok(withBanner.length > 0 && withBanner.length < files.length / 4, `${withBanner.length} of ${files.length} files keep the banner`);
    // Each chunk evaluated in a fresh process: a require() left without its binding would throw here.
    const dependencies = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    const probe = `
const failed = [];
for (const file of ${JSON.stringify(files.filter((file) => !file.endsWith('main.js')))}) {
  try { await import(file); } catch (err) { failed.push(file + ': ' + err.message); }
}
console.log(JSON.stringify(failed));
`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    // The packages installed beside the bundle (bullmq, ioredis) are not beside this copy of it.
    const failed = (JSON.parse(run.stdout) as string[]).filter((line) => !dependencies.some((name) => line.includes(`Cannot find package '${name}'`)));
    assert.deepEqual(failed, []);
  });

  it("a bundled package's require('assert') loads assert at its first call, and fails as assert does", async () => {
    // A package's file: the stand-in is a CommonJS module in the ES module bundle too.
    const seen = await probeBundled({
      plugin: 'builtinsByRequire',
      file: join(dir, 'requires-assert.cjs'),
      source: "const assert = require('assert');\nexports.check = (value) => assert(value, 'the value must be true');\nexports.strict = () => assert.strict.equal(1, 2);\n",
      builtin: 'assert',
      probe: `const { check, strict } = bundle;
const onLoad = loaded();
check(true);
const afterPass = loaded();
let failure;
try { check(false); } catch (err) { failure = { name: err.name, code: err.code, message: err.message }; }
let strictFailure;
try { strict(); } catch (err) { strictFailure = err.code; }
return { onLoad, afterPass, failure, strictFailure };`,
    });
    assert.deepEqual(seen, {
      onLoad: false,
      // The real assert decides, so the first call loads it, passing or not.
      afterPass: true,
      failure: { name: 'AssertionError', code: 'ERR_ASSERTION', message: 'the value must be true' },
      strictFailure: 'ERR_ASSERTION',
    });
  });

  it("got's cacheable-lookup, bundled as scripts/build.mjs bundles it, loads (and loads dns) when first constructed", async () => {
    const seen = await probeBundled({
      plugin: 'loadedOnFirstUse',
      file: join(dir, 'constructs-lookup.mjs'),
      source: "import CacheableLookup from 'cacheable-lookup';\nexport const make = () => new CacheableLookup();\n",
      builtin: 'dns',
      probe: `const onLoad = loaded();
const lookup = bundle.make();
return { onLoad, afterNew: loaded(), lookup: typeof lookup.lookup, servers: Array.isArray(lookup.servers) };`,
    });
    assert.deepEqual(seen, { onLoad: false, afterNew: true, lookup: 'function', servers: true });
  });

  it("a reconcile resolves the bundle's imports of its own chunks itself, each to the chunk's real path", async () => {
    const config = join(dir, 'resolve.yaml');
    writeFileSync(config, `stateDir: ${join(dir, 'state-resolve')}\n`);
    const main = await builtMain();
    const bundle = pathToFileURL(`${dirname(main)}/`).href;
    const run = spawnSync(process.execPath, ['--import', watchResolution(bundle), main, 'reconcile', '--config', config], {
      encoding: 'utf8',
      env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' },
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    // Only those linked before tagpilot's hooks existed: every later one was answered by its hook.
    const before = importsLinkedBeforeHooks(main);
    assert.ok(before > 0 && before < 10, `main.js links ${before} imports of its own`);
    assert.match(run.stderr, new RegExp(`bundle imports resolved by node: ${before}\n`));
    const [, count, odd] = /bundle files loaded: (\d+), by other URLs than their real paths: (.*)\n/.exec(run.stderr) ?? [];
    assert.ok(Number(count) >= 10, `chunks loaded: ${count}\n${run.stderr}`);
    assert.equal(odd, '[]');
  });

  it('check loads Handlebars only for a config with a commitMessage to check', async () => {
    const main = await builtMain();
    const handlebars = chunkHolding(main, 'src/git/commit-template.ts');
    assert.ok(handlebars, 'no chunk holds src/git/commit-template.ts');
    const automation = (extra: string) => `automations:\n  - name: fleet\n    git: { url: 'https://git.example.test/fleet.git' }\n${extra}`;
    for (const [name, extra, loads] of [
      ['plain', '', false],
      ['templated', "    commitMessage: 'Update {{#each images}}{{repository}}:{{tag}} {{/each}}'\n", true],
    ] as const) {
      const config = join(dir, `${name}.yaml`);
      writeFileSync(config, automation(extra));
      const { status, stdout, stderr } = await runLoggingLoads([main, 'check', '--config', config], join(dir, `${name}.stderr`));
      assert.equal(status, 0, stdout + stderr);
      assert.equal(chunksLoaded(stderr).has(handlebars), loads, `${name}: ${stderr.slice(-2000)}`);
    }
  });

  it("check loads no Node internals that only reading every export of a built-in reaches (util.diff, worker_threads, process.report)", async () => {
    const config = join(dir, 'builtins.yaml');
    writeFileSync(config, `images:\n  - name: app\n    repository: ghcr.io/acme/app\npolicies:\n  - name: app\n    image: app\n    semver: '>=1.0.0'\n`);
    const run = spawnSync(process.execPath, ['--import', LIST_BUILTINS, await builtMain(), 'check', '--config', config], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const loaded = JSON.parse(/builtins: (.*)\n/.exec(run.stderr)?.[1] ?? 'null') as string[] | null;
    assert.ok(loaded && loaded.some((m) => m.endsWith(' internal/util/parse_args/parse_args')), `check parsed its arguments: ${run.stderr}`);
    const unwanted = ['internal/util/diff', 'internal/util/trace_sigint', 'internal/util/debounce', 'internal/process/report', 'internal/process/finalization', 'worker_threads'];
    assert.deepEqual(loaded.filter((m) => unwanted.some((name) => m.endsWith(` ${name}`))), []);
  });

  it('Handlebars compiles commit templates without source-map, and the same templates pass check', async () => {
    const main = await builtMain();
    const chunks = join(dirname(main), 'chunks');
    const sources = readdirSync(chunks)
      .filter((name) => name.endsWith('.js.map'))
      .flatMap((name) => (JSON.parse(readFileSync(join(chunks, name), 'utf8')) as { sources: string[] }).sources);
    assert.ok(sources.some((s) => s.endsWith('handlebars/compiler/code-gen.js')));
    assert.deepEqual(sources.filter((s) => /(^|\/)source-map\//.test(s)), []);
    const config = join(dir, 'templates.yaml');
    writeFileSync(
      config,
      `automations:
  - name: fleet
    git: { url: 'https://git.example.test/fleet.git' }
    commitMessage: "{{automation}}: {{#each changes}}{{#if @first}}{{else}}, {{/if}}{{repository}} {{from}} -> {{to}}{{/each}}\\n\\n{{#each images}}- {{repository}}:{{tag}}\\n{{/each}}"
  - name: broken
    git: { url: 'https://git.example.test/fleet.git' }
    commitMessage: '{{#each changes}}{{nosuchfield}}{{/each}}'
`,
    );
    const run = spawnSync(process.execPath, [main, 'check', '--config', config], { encoding: 'utf8', env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' } });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    // The first template renders; only the second is refused, for the field it names.
    assert.match(run.stderr, /automation broken: commitMessage: .*nosuchfield/);
    assert.doesNotMatch(run.stderr, /automation fleet/);
  });
});
