// `npm run build`: src/main.ts → dist/, the files `npm pack` ships and the container runs.
//
// One esbuild bundle, so that what users run is what this checkout tested:
// - isomorphic-git is bundled from node_modules, where patch-package has patched it (patches/); an
//   installed package would otherwise load an unpatched copy, because nothing patches its dependencies.
// - package.json `dependencies` stay external (installed beside the package, loaded from
//   node_modules): only what cannot be bundled belongs there (bullmq and ioredis, which load native
//   msgpackr-extract and Lua scripts from their own folders; ssh2, which builds optional native
//   crypto when installed). Everything else the code imports is a devDependency and ends up in dist/,
//   the cloud SDKs, the GitHub App client and Sigstore's libraries too: a user's install stays small
//   (28 packages, not 126).
// - `splitting` keeps every dynamic import() a separate chunk, so a command loads only what it uses
//   (the command table in src/cli.ts; the cloud, GitHub App and Sigstore clients when a config needs
//   them).
// - Linked source maps, enabled by src/main.ts, so stack traces name src/ files and lines.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const OUT_DIR = 'dist';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * Node's built-ins reached by `require()` instead of `import`. An ES module import of a built-in
 * makes Node copy every export into a module facade, reading every lazy getter on the way:
 * `node:http` then loads undici for its WebSocket export (~100 ms on a busy machine), `node:tls`
 * parses the root certificates, `node:crypto` sets up WebCrypto, `node:fs` warns about F_OK,
 * `node:process` opens stdin and `node:util` loads worker_threads (`setTraceSigInt`) and assert's diff
 * (13 of Node's internal modules for `check`, which got's `node:process` import paid). Each
 * built-in becomes a small module that requires it and re-exports its properties, except the
 * costly or deprecated getters named here (importing one from src/ fails the build, so none goes
 * unnoticed: read it from the default export when used instead, as `tls.rootCertificates`).
 * A bundled package that imports one (the AWS SDK's `getRandomValues`, the GitHub App client's
 * `subtle`) gets the built-in as CommonJS instead, whose properties esbuild reads where they are
 * used, so nothing costly is read before that code runs.
 *
 * The built-ins in LOADED_ON_FIRST_USE_BUILTINS are not loaded with their importer at all, but when
 * code first reads one of their exports: `node:tls` (which `node:https` loads) costs ~12-15 ms of CPU
 * as it loads, after crypto and http, and got and the registry client import them while only an
 * https:// registry or git remote uses them. Their importers get a CommonJS stand-in whose
 * properties load the built-in when read (the names are the built-in's, taken at build time, so
 * esbuild's interop copies them without loading it). `node:timers/promises` is one too: got imports
 * it for its retry delays, which a run without retries never takes.
 * REQUIRED_ON_FIRST_USE_BUILTINS get the same stand-in where a bundled package require()s them:
 * `node:assert` (~1.5 ms, nine of Node's internal modules) is required by sonic-boom, pino's
 * destination, for one check as a stream closes. A built-in that is itself a function (assert) gets
 * a stand-in that can be called.
 */
const LOADED_ON_FIRST_USE_BUILTINS = new Set(['tls', 'https', 'child_process', 'timers/promises']);
const REQUIRED_ON_FIRST_USE_BUILTINS = new Set(['assert']);
const SKIPPED_GETTERS = {
  http: ['WebSocket', 'CloseEvent', 'MessageEvent'],
  tls: ['rootCertificates'],
  crypto: ['webcrypto', 'subtle', 'getRandomValues', 'fips', 'prng', 'pseudoRandomBytes', 'rng'],
  fs: ['F_OK', 'R_OK', 'W_OK', 'X_OK'],
  process: ['domain', 'stdin', 'stdout', 'stderr', 'report', 'finalization'],
  util: ['diff', 'setTraceSigInt', 'debounce', 'throttle'],
};
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Whether `importer`, a file of a bundled package, mentions one of the getters skipped on `name`. */
function namesSkippedGetter(name, importer) {
  const skipped = SKIPPED_GETTERS[name];
  if (!skipped || !/[\\/]node_modules[\\/]/.test(importer)) return false;
  return new RegExp(`\\b(${skipped.join('|')})\\b`).test(readFileSync(importer, 'utf8'));
}

export const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    const builtins = new Set(builtinModules.filter((name) => !name.startsWith('_')));
    const nodeRequire = createRequire(import.meta.url);
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, ({ path, kind, importer, namespace }) => {
      const name = path.replace(/^node:/, '');
      if (!builtins.has(name)) return undefined;
      // Only from a package's own file: the stand-in's require('node:assert') must reach Node, not the stand-in.
      if (kind === 'require-call' && namespace === 'file' && REQUIRED_ON_FIRST_USE_BUILTINS.has(name)) return { path: name, namespace: 'builtin-on-first-use' };
      if (kind === 'import-statement' && LOADED_ON_FIRST_USE_BUILTINS.has(name)) return { path: name, namespace: 'builtin-on-first-use' };
      if (kind !== 'import-statement') return undefined;
      return { path: name, namespace: namespace === 'file' && namesSkippedGetter(name, importer) ? 'builtin-commonjs' : 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-commonjs' }, ({ path: name }) => ({
      contents: `module.exports = require('node:${name}');`,
      loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'builtin-on-first-use' }, ({ path: name }) => {
      const builtin = nodeRequire(name);
      const names = Object.keys(builtin);
      // Its functions (not classes, which are capitalised) are handed out as stand-ins that load it
      // when called: got reads tls.checkServerIdentity into the options of every request, http ones too.
      const functions = names.filter((key) => typeof builtin[key] === 'function' && /^[a-z]/.test(key));
      return {
        contents: `let loaded;
const load = () => (loaded ??= require('node:${name}'));
const names = ${JSON.stringify(names)};
const functions = new Set(${JSON.stringify(functions)});
const standIns = new Map();
const standIn = (key) => {
  if (!standIns.has(key)) standIns.set(key, function (...args) { return load()[key].apply(this, args); });
  return standIns.get(key);
};
const read = (key) => (loaded === undefined && functions.has(key) ? standIn(key) : load()[key]);
module.exports = new Proxy(${typeof builtin === 'function' ? `(...args) => load()(...args)` : '{}'}, {
  get: (_, key) => read(key),
  has: (_, key) => key in load(),
  ownKeys: () => [...names],
  getOwnPropertyDescriptor: (_, key) => (names.includes(key) ? { configurable: true, enumerable: true, get: () => read(key) } : undefined),
});`,
        loader: 'js',
      };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path: name }) => {
      const skipped = new Set(SKIPPED_GETTERS[name] ?? []);
      const names = Object.keys(nodeRequire(name)).filter((key) => IDENTIFIER.test(key) && key !== 'default' && !skipped.has(key));
      const contents = [
        `const m = require('node:${name}');`,
        'export default m;',
        ...names.map((key) => `export const ${key} = m.${key};`),
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

/**
 * got imports http2-wrapper, which builds a TLS socket as it loads (createSecureContext, ~40 ms);
 * tagpilot never asks got for HTTP/2. And it imports cacheable-lookup, whose loading loads
 * `node:dns` and builds a resolver, for its `dnsCache` option, which tagpilot never sets (~0.7 ms of
 * every command that loads got). got's import of each gets a stand-in that loads the real module on
 * first use, so nothing changes if it is ever used: the stand-in is a function, so that a default
 * export that is a class (cacheable-lookup's) can be constructed through it, or one that is a function
 * called.
 */
const LOADED_ON_FIRST_USE = ['http2-wrapper', 'cacheable-lookup'];
export const loadedOnFirstUse = {
  name: 'loaded-on-first-use',
  setup(build) {
    const filter = new RegExp(`^(${LOADED_ON_FIRST_USE.join('|')})$`);
    const nodeRequire = createRequire(join(process.cwd(), 'package.json'));
    build.onResolve({ filter }, ({ path, kind }) => (kind === 'import-statement' ? { path, namespace: 'first-use' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'first-use' }, ({ path }) => {
      // What `import x from` an ES module gives is its default export; from CommonJS, module.exports.
      const esModule = !isCommonJs(nodeRequire.resolve(path));
      return {
        contents: `let loaded;
const real = () => {
  loaded ??= require(${JSON.stringify(path)});
  return ${esModule ? 'loaded.default' : 'loaded'};
};
export default new Proxy(function () {}, {
  get: (_, key) => real()[key],
  has: (_, key) => key in real(),
  construct: (_, args) => Reflect.construct(real(), args),
  apply: (_, self, args) => Reflect.apply(real(), self, args),
});`,
        resolveDir: process.cwd(),
        loader: 'js',
      };
    });
  },
};

/**
 * Handlebars builds the code of a compiled template with source-map's SourceNode when `require('source-map')`
 * finds it, and with a string-joining stand-in of its own when not; both give the same code, and
 * only a `srcName` option (tagpilot passes none) asks for a map. Without it, `check` on a config
 * with a commitMessage loads and runs 4% fewer instructions (cachegrind).
 */
const handlebarsWithoutSourceMap = {
  name: 'handlebars-without-source-map',
  setup(build) {
    build.onResolve({ filter: /^source-map$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]handlebars[\\/]/.test(importer) ? { path: 'source-map', namespace: 'absent' } : undefined,
    );
    // What `require` of a missing package gives handlebars: it catches the error and uses its own.
    build.onLoad({ filter: /.*/, namespace: 'absent' }, ({ path }) => ({
      contents: `throw Object.assign(new Error("Cannot find module '${path}'"), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/**
 * @sindresorhus/is (got's argument checks) builds two Intl.ListFormat as it loads, for the wording of
 * an error message; the first loads ICU's list patterns, ~20 ms of every command that loads got.
 * Each is built when a message first needs it instead. The build fails if the package changes so
 * that the lines are not found, as a patch that no longer applies fails the install.
 */
const LIST_FORMATS = /const (\w+) = new Intl\.ListFormat\(([^;]*)\);/g;
const listFormatsOnFirstUse = {
  name: 'list-formats-on-first-use',
  setup(build) {
    build.onLoad({ filter: /[\\/]@sindresorhus[\\/]is[\\/]distribution[\\/]index\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      let found = 0;
      const contents = source.replace(LIST_FORMATS, (_, name, args) => {
        found += 1;
        return `const ${name} = { format: (list) => (${name}.built ??= new Intl.ListFormat(${args})).format(list) };`;
      });
      if (found !== 2) throw new Error(`${path}: expected two Intl.ListFormat built as it loads, found ${found}; update scripts/build.mjs`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * A package that src/ loads by `await import('pkg')` becomes a chunk of its own, and esbuild gives a
 * CommonJS chunk only a default export (https://github.com/evanw/esbuild/issues/1345), so
 * `const { GoogleAuth } = await import('google-auth-library')` would find nothing, where Node
 * finds the named exports. Such an import gets an ES module in between that names them (read from
 * the package at build time: the AWS SDK's ECR client, google-auth-library, Sigstore's libraries).
 */
const commonjsDynamicImports = {
  name: 'commonjs-dynamic-imports',
  setup(build) {
    const nodeRequire = createRequire(import.meta.url);
    build.onResolve({ filter: /^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]+)?$/ }, async ({ path, kind, importer, resolveDir, pluginData }) => {
      if (kind !== 'dynamic-import' || pluginData === 'named' || /[\\/]node_modules[\\/]/.test(importer)) return undefined;
      const resolved = await build.resolve(path, { kind, resolveDir, pluginData: 'named' });
      if (resolved.errors.length > 0 || resolved.external || !isCommonJs(resolved.path)) return undefined;
      return { path: resolved.path, namespace: 'commonjs-named' };
    });
    build.onLoad({ filter: /.*/, namespace: 'commonjs-named' }, ({ path }) => {
      const names = Object.keys(nodeRequire(path)).filter((key) => IDENTIFIER.test(key) && key !== 'default');
      return { contents: `export { ${names.join(', ')} } from ${JSON.stringify(path)};`, resolveDir: dirname(path), loader: 'js' };
    });
  },
};

/** Whether Node loads `file` as CommonJS: .cjs, or .js under a package.json without "type": "module". */
function isCommonJs(file) {
  if (!/\.c?js$/.test(file)) return false;
  if (file.endsWith('.cjs')) return true;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
  }
  return true;
}

/** What every output file begins with, where its code may call require(): dropUnusedRequireBanner. */
const REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Builds dist/ (or `outdir`); resolves to esbuild's metafile (inputs and outputs). */
export async function buildDist(outdir = OUT_DIR) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: ['src/main.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: Object.keys(pkg.dependencies ?? {}),
    // Bundled CommonJS packages call require() for Node's built-ins; an ES module has none of its own.
    banner: { js: REQUIRE_BANNER },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    plugins: [builtinsByRequire, loadedOnFirstUse, listFormatsOnFirstUse, handlebarsWithoutSourceMap, commonjsDynamicImports],
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
  });
  for (const file of Object.keys(result.metafile.outputs)) if (file.endsWith('.js')) dropUnusedRequireBanner(file);
  // The bundle is ES modules wherever it is copied (a bench's temp folder, an image without our
  // package.json): without this Node would parse each chunk as CommonJS first, fail, and start again.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  return result.metafile;
}

/**
 * Bundled CommonJS packages call require() for Node's built-ins; an ES module has none of its own, so
 * every output file starts with one (esbuild's banner). Most chunks never use it: the built-ins reach
 * them through the wrapper chunks above, which call esbuild's `__require` from its runtime chunk. Each
 * banner costs its chunk an import of node:module and a createRequire() as it loads, ~0.05-0.1 ms for
 * each of the ~60 chunks a `reconcile` loads. A file whose code does not mention `require` outside a
 * property access (`x.require`) gets the banner's line emptied, not removed, so its source map's
 * lines still match; any mention keeps it.
 */
function dropUnusedRequireBanner(file) {
  const text = readFileSync(file, 'utf8');
  // main.js keeps its shebang line first.
  const at = text.indexOf(`${REQUIRE_BANNER}\n`);
  if (at !== 0 && !(at > 0 && text.startsWith('#!') && at === text.indexOf('\n') + 1)) {
    throw new Error(`${file}: does not begin with the require banner; update scripts/build.mjs`);
  }
  const code = text.slice(at + REQUIRE_BANNER.length);
  if (!/(^|[^.\w$])require\b/.test(code)) writeFileSync(file, text.slice(0, at) + code);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildDist(process.argv[2]);
