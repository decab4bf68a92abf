#!/usr/bin/env node
// The `tagpilot` executable (the bundle's entry: scripts/build.mjs). It turns on, before anything
// else loads, what the runtime offers a short-lived CLI and a long-lived service:
// - the module compile cache (Node ≥ 22.1): V8's compiled code kept in the OS temp folder, so a
//   second run skips parsing and compiling the bundle — most of a short command's start-up;
// - source maps (dist/*.js.map), so stack traces name src/ files and lines;
// - for every command but `serve`, the bundle's functions compiled when their chunk is, so that the
//   compile cache holds them too (compileBundleEagerly), and the chunks' imports of one another
//   resolved without asking the file system (resolveBundleImports);
// - for `serve`, the V8 flags of a long-lived process (serveWithV8Flags).
import nodeModule from 'node:module';
import { setFlagsFromString } from 'node:v8';

/**
 * V8 compiles a function when it is first called, and Node's compile cache keeps only what was
 * compiled with the chunk: its top level. So every run compiled again the ~1,000 functions `check`
 * calls (zod building the schema, yaml, Handlebars, semver) and the ~2,000 of `reconcile`, a fifth
 * of `check`'s instructions. V8's `--no-lazy` while a chunk of the bundle compiles puts all of its
 * functions in the cache: `check` runs 15% fewer instructions, `reconcile` 5-7% (cachegrind, cache
 * warm). The first run, with an empty cache, compiles more (+13% for `check`).
 * Node's own modules are compiled lazily as before: V8 refuses a code cache made under other flags,
 * and theirs (built into node) were. So `--lazy` is set back before any other module loads through
 * this hook, and once the chunk has compiled, for the built-ins Node loads without it (fs/promises'
 * rimraf on a first `rm`, say).
 * Not for `serve`: a long-lived process compiles each function once anyway, and eager bytecode
 * for every function of its chunks would only add memory. Needs module.registerHooks (Node >= 22.15).
 */
function compileBundleEagerly(): void {
  const registerHooks = nodeModule.registerHooks as typeof nodeModule.registerHooks | undefined;
  // From src/ (tsx, in tests) there is no bundle and no point.
  if (!registerHooks || !import.meta.url.endsWith('.js')) return;
  const bundle = new URL('./', import.meta.url).href;
  let eager = false;
  const compileEagerly = (on: boolean): void => {
    if (on === eager) return;
    eager = on;
    setFlagsFromString(on ? '--no-lazy' : '--lazy');
  };
  registerHooks({
    resolve: resolveBundleImports(bundle),
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      // The flag is read when the module is compiled, right after this hook returns, in the same task.
      compileEagerly(url.startsWith(bundle));
      if (eager) queueMicrotask(() => compileEagerly(false));
      return loaded;
    },
  });
}

/**
 * The bundle's chunks import one another by relative path (`./chunk-X.js`), about 200 imports for a
 * `reconcile`. Node resolves each as it would any specifier: it parses a URL, stats the file, takes
 * its real path and looks up the package scope for its format; the answer inside the bundle is known
 * beforehand: the file beside the importer, an ES module (scripts/build.mjs writes dist/package.json
 * saying so). The importer's URL is already a real path (Node resolves the entry point's), so the
 * URL is the one Node would give. Anything else (built-ins, bullmq, ioredis, ssh2) is resolved by Node.
 * `tagpilot check` runs ~10% fewer CPU milliseconds.
 */
function resolveBundleImports(bundle: string): nodeModule.ResolveHookSync {
  return (specifier, context, nextResolve) => {
    if (specifier.startsWith('./') && context.parentURL?.startsWith(bundle)) {
      return { url: new URL(specifier, context.parentURL).href, format: 'module', shortCircuit: true };
    }
    return nextResolve(specifier, context);
  };
}

/**
 * V8 flags `serve` runs with (issue 18: its peak RSS):
 * - `--max-semi-space-size=16`: left alone, V8 grows a busy process's young generation to 2 × 64 MB,
 *   and a serve scanning 1,000 images gets there and stays.
 * - `--no-concurrent-recompilation`: V8 optimizes hot functions on background threads, and the
 *   start-up pass makes the whole scan path hot at once: ~100 compile jobs queued together, each
 *   holding its compiler's memory until the main thread installs the code, 15-25 MB of malloc at
 *   once that then stays in the threads' arenas. Compiled on the main thread, one at a time, the
 *   same work costs no more CPU (paired runs, bench/service.bench.ts) and the peak is 25-35 MB lower.
 * - `--no-concurrent-sweeping`: after each mark-compact V8 frees the dead objects of old space on a
 *   background thread, and until then what they point at in the young generation survives its
 *   scavenges: a fifth of what serve's registry requests allocate outlived one and was promoted,
 *   only to fill old space for the next mark-compact. Swept in the mark-compact's own pause, a
 *   scavenge keeps 8-11% of it, and serve's interval takes ~20-25 ms (3-4%) less CPU
 *   (bench/paired-interval.ts, nine rounds) at the same peak RSS.
 * The container passes what NODE_OPTIONS may carry (the Dockerfile: V8 refuses the other two there);
 * keep the two the same.
 */
const SERVE_V8_FLAGS = ['--max-semi-space-size=16', '--no-concurrent-recompilation', '--no-concurrent-sweeping'];

/**
 * Started without SERVE_V8_FLAGS (the npm bin: a shebang cannot pass a V8 flag portably, and V8
 * reads these only when the process starts), `serve` replaces itself with the same command plus the
 * flags: process.execve (Node >= 22.15) keeps the pid, standard streams and environment, so signals
 * and supervisors see one process. Done first, before anything is loaded or opened; it costs one
 * bare node start-up, once. Only the flags not already set, either way (`--concurrent-recompilation`
 * given keeps it on); none with all set (the process this made), under a debugger (it would stop
 * twice), with an IPC channel to a parent, or with TAGPILOT_SERVE_REEXEC=0.
 */
function serveWithV8Flags(): void {
  const execve = process.execve as typeof process.execve | undefined;
  if (process.argv[2] !== 'serve' || !execve || process.env.TAGPILOT_SERVE_REEXEC === '0') return;
  // A parent's IPC channel (fork()) does not survive an exec.
  if (process.channel) return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((arg) => arg.startsWith('--inspect'))) return;
  const givenNames = new Set(given.map(v8FlagName));
  const missing = SERVE_V8_FLAGS.filter((flag) => !givenNames.has(v8FlagName(flag)));
  if (missing.length === 0) return;
  execve(process.execPath, [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)], process.env);
}

/** What V8 reads a flag as: `--max_semi_space_size=8` and `--no-concurrent-recompilation` name `--max-semi-space-size` and `--concurrent-recompilation`. */
function v8FlagName(arg: string): string {
  return arg.split('=')[0]!.replace(/_/g, '-').replace(/^--no-/, '--');
}

serveWithV8Flags();
// Optional: Node 20 (this repository's older machines) has no compile cache.
(nodeModule.enableCompileCache as typeof nodeModule.enableCompileCache | undefined)?.();
if (process.argv[2] !== 'serve') compileBundleEagerly();
process.setSourceMapsEnabled(true);
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2));
