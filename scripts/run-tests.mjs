// Runs every test file under test/ (or those named) with node's test runner, TAP on stdout (CI reads
// its `# pass N` / `# fail N` lines).
//
// Compiled once, not loaded through a TypeScript loader in each test process (that was a quarter of
// the suite's time): esbuild strips the types of every .ts under src/, test/, bench/ and scripts/
// into a mirror of the tree inside node_modules/.cache (so packages resolve as from the checkout),
// other files there are symlinked, and `import.meta.url` keeps naming the original file, so tests
// find fixtures beside themselves; a test that runs a .ts file in a child node runs its compiled
// copy (TAGPILOT_TEST_COMPILED names the mirror; test/helpers/compiled-script.ts), not tsx.
// Any new *.test.ts anywhere under test/ is picked up; typecheck (npm test runs it first) is what
// checks the types.
//
// `--checks` (what `npm test` passes) also runs typecheck, lint and the lockfile check beside the
// tests, at a lower CPU priority: they only need to be done by the end, while the tests wait on
// peers and timers and the build comes first. Their output follows the TAP.
//
// It also builds the bundle (dist/) once, for the tests that run the shipped program
// (test/helpers/built-dist.ts), and gives every test a timeout and every file a longer one, so a
// hung peer fails that test instead of hanging CI.
//
// Files that leave the process as they found it (CHANGES_PROCESS) share processes, about
// SHARED_PROCESS_MS of them in each by their last run's times, each file in a suite named after it:
// starting a process and loading the modules costs ~0.3 s of CPU, as much as most files' tests.
// TAGPILOT_TEST_ISOLATE=1 turns this off. TAGPILOT_TEST_CPU=1 prints each test process's CPU time
// (its own and its children's) after the TAP, most first: with ISOLATE, per file.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, setPriority } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from 'node:test';
import { tap } from 'node:test/reporters';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildDist } from './build.mjs';
import { waitingFilesEntry } from './waiting-files.mjs';

/** Per test (`it`), generous for a loaded two-core machine; a hook or test past it fails. */
const TEST_TIMEOUT_MS = 120_000;
/**
 * Test processes (a file, or files sharing one) run at once: twice the two cores this suite is
 * measured on, as they spend much of their time waiting on peers and timers; more only made each
 * process slower (measured: 2, 4 and 6). The process of the files that mostly wait (WAITING) runs
 * beside them.
 */
const CONCURRENCY = 4;
const ROOTS = ['src', 'test', 'bench', 'scripts'];

const root = process.cwd();
const out = join(root, 'node_modules', '.cache', 'tagpilot-tests', String(process.pid));

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** Before a first run: files that start peers (git server, registry, Redis, processes) run longest. */
const SLOW = /startGitServer|startSshGitServer|startRegistry|startRedis|runCommand\('npm'|spawn\(|builtMain|Service\.start|runCli\(/g;
const weight = (path) => (readFileSync(path, 'utf8').match(SLOW) ?? []).length;
/** How long each file's tests took in the last whole-suite run (or its only run), kept where `npm ci` leaves it. */
const DURATIONS_FILE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tagpilot', 'test-durations.json');
/**
 * The same, from a whole-suite run, committed: what a checkout with no runs of its own (a fresh clone
 * on CI) orders and groups the files by. Without it every untimed file that starts peers ran in a
 * process of its own (57 processes instead of ~18, ~20 CPU s more) and the quick files in one last
 * process, alone at the end: ~83 s instead of ~57 s. A whole-suite run with
 * TAGPILOT_TEST_SAVE_DURATIONS=1 rewrites it.
 */
const COMMITTED_DURATIONS_FILE = 'scripts/test-durations.json';

function readDurations(file = DURATIONS_FILE) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

function writeDurations(latest) {
  try {
    mkdirSync(dirname(DURATIONS_FILE), { recursive: true });
    writeFileSync(DURATIONS_FILE, `${JSON.stringify({ ...readDurations(), ...latest }, null, 1)}\n`);
  } catch {
    // Only the order of the next run depends on it.
  }
}

/** Unix niceness of the checks: the tests and the build get the CPU first. */
const CHECKS_NICENESS = 10;
/**
 * `npm run typecheck` and `npm run lint`, remembering between runs what they found in unchanged
 * files (tsc's build info and ESLint's cache, both keyed by content): ~10 s of CPU the first time
 * (~3 s of it TypeScript 7's native tsc, where TypeScript 5's took ~12 s alone), ~2 s when a few
 * files changed. A fresh checkout (CI after npm ci) checks everything.
 */
const CACHE = join('node_modules', '.cache', 'tagpilot-checks');
const CHECKS = [
  ['typecheck', 'node_modules/typescript-7/bin/tsc', '--noEmit', '--incremental', '--tsBuildInfoFile', join(CACHE, 'tsc.tsbuildinfo')],
  ['lint', 'node_modules/eslint/bin/eslint.js', '--cache', '--cache-location', `${join(CACHE, 'eslint')}/`, '.'],
  ['lockfile', 'scripts/check-lockfile.mjs'],
];

/** Starts a check; resolves to its name, exit code and output. */
function runCheck([name, ...args]) {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      if (child.pid) setPriority(child.pid, CHECKS_NICENESS);
    } catch {
      // Gone already (the lockfile check is quick), or not allowed: it only orders the work.
    }
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => done({ name, code, output, seconds: (performance.now() / 1000).toFixed(1) }));
  });
}

const args = process.argv.slice(2);
const withChecks = args[0] === '--checks';
const named = withChecks ? args.slice(1) : args;
const checks = withChecks ? Promise.all(CHECKS.map(runCheck)) : Promise.resolve([]);

const sources = ROOTS.flatMap((r) => walk(r));
const isTs = (path) => path.endsWith('.ts') && !path.endsWith('.d.ts');
const tests = named.length > 0 ? named : sources.filter((p) => p.startsWith('test/') && p.endsWith('.test.ts'));

/**
 * What makes a test file need a process of its own: changing what the process holds for every file
 * in it (the environment, signal handlers, patched prototypes or modules, mocked timers) or
 * measuring it (memory).
 */
const CHANGES_PROCESS = new RegExp(
  [
    /process\.env(\.\w+|\[[^\]]+\])?\s*=(?![=>])|Object\.assign\(process\.env|delete process\.env|process\.(chdir|on|once|memoryUsage)\(/,
    /prototype\.\w+ *=[^=]|mock\.(timers|method)|runCli\(\s*\['serve'|DNS_ALIAS/,
  ]
    .map((re) => re.source)
    .join('|'),
);
/** Starting processes or peers, which a file can do in a shared process too, but which takes time. */
const STARTS_PROCESSES =
  /\b(spawn|spawnSync|execFile|execFileSync|runCommand|startGitServer|startRegistry|startRedis|startSshGitServer|startDaemon|builtDist|builtMain)\b|(?<![.\w])exec\(|Service\.start/;
/** About this much of the shared files' time goes into one process (a longer file has one to itself). */
const SHARED_PROCESS_MS = 20_000;
/**
 * Files that mostly wait (a promotion's soak, a killed process's restart, a git server silent for
 * 6 s, BullMQ's check for stalled jobs), each on the CPU for under a quarter of its wall time
 * (measured with TAGPILOT_TEST_ISOLATE=1 TAGPILOT_TEST_CPU=1: the six took ~59 s one after another,
 * ~6 s of it on the CPU). They run side by side in one process of their own, started first, beside
 * the CONCURRENCY others rather than in one of their places: npm test 57-58 s → 48-55 s on two
 * cores. One that changes what its process holds (CHANGES_PROCESS) runs alone instead.
 */
const WAITING = [
  'test/promotion/promotion-due.test.ts',
  'test/service/serve-crash-recovery.test.ts',
  'test/git/slow-git-server.test.ts',
  'test/queue/bullmq-crash.test.ts',
  'test/service/config-watch.test.ts',
  'test/state/redis-state-store.test.ts',
];

for (const path of WAITING) if (!sources.includes(path)) throw new Error(`scripts/run-tests.mjs: WAITING names ${path}, which does not exist`);

const timedHere = readDurations();
const took = { ...readDurations(COMMITTED_DURATIONS_FILE), ...timedHere };
// How long a file takes, by its last run; one never run before counts as quick when it starts no
// processes, and otherwise runs alone until it has been timed.
const estimate = (path) => took[path] ?? (STARTS_PROCESSES.test(readFileSync(path, 'utf8')) ? undefined : 200);
// TAGPILOT_TEST_ISOLATE=1 runs every file in a process of its own, to rule out one file's effect on another.
const shareable = tests.filter((path) => !process.env.TAGPILOT_TEST_ISOLATE && !CHANGES_PROCESS.test(readFileSync(path, 'utf8')));
const waiting = shareable.filter((path) => WAITING.includes(path));
const shared = shareable.filter((path) => !waiting.includes(path) && estimate(path) !== undefined);
const alone = tests.filter((path) => !shared.includes(path) && !waiting.includes(path));

/** Replaces import.meta.url (and .dirname/.filename) with the original file's, per file. */
const originalLocation = {
  name: 'original-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, ({ path }) => {
      const url = pathToFileURL(path).href;
      const contents = readFileSync(path, 'utf8')
        .replaceAll('import.meta.url', JSON.stringify(url))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(path)))
        .replaceAll('import.meta.filename', JSON.stringify(path));
      return { contents, loader: 'ts' };
    });
  },
};

/** Free space a tmpfs needs for the tests' folders (~50 MiB at once, sampled), with room to spare; not a container's 64 MiB /dev/shm. */
const TMPFS_MIN_BYTES = 1024 * 1024 * 1024;
/**
 * Where the tests' temporary folders go (git repositories and clones, registry storage, state
 * folders): tmpfs when the machine has one with room and TMPDIR names no other place. Creating and
 * removing their files on a disk cost the suite ~10 s of kernel time (ext4 mounted with discard,
 * 2 cores); the tests that need a disk's behaviour (a full one) mount a tmpfs of their own anyway.
 */
function testTempDir() {
  if (process.env.TMPDIR) return undefined;
  try {
    const { bavail, bsize } = statfsSync('/dev/shm');
    if (bavail * bsize < TMPFS_MIN_BYTES) return undefined;
    return mkdtempSync('/dev/shm/tagpilot-tests-');
  } catch {
    return undefined;
  }
}

rmSync(out, { recursive: true, force: true });
const tmp = testTempDir();
if (tmp) process.env.TMPDIR = tmp;
const cleanup = () => {
  rmSync(out, { recursive: true, force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const started = performance.now();
const dist = join(out, 'dist');
// Both at once: the bundle's plugins run in this process while esbuild compiles the mirror.
await Promise.all([
  build({
    entryPoints: sources.filter(isTs),
    outdir: out,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [originalLocation],
  }),
  buildDist(dist),
]);
for (const path of sources.filter((p) => !isTs(p))) {
  mkdirSync(join(out, dirname(path)), { recursive: true });
  symlinkSync(resolve(path), join(out, path));
}
process.stderr.write(`compiled ${sources.filter(isTs).length} files and the bundle in ${Math.round(performance.now() - started)} ms\n`);

const compiledPath = (path) => join(out, relative(root, resolve(path)).replace(/\.ts$/, '.js'));
/** One process each: a file, or a shared entry importing several (`files`, with their durations). */
const units = alone.map((path) => ({ file: compiledPath(path), files: [path], ms: took[path] ?? Infinity, weight: weight(path) }));
// Node 22 and 24 both run a suite whose function imports a file: that file's tests, hooks included,
// belong to the suite, and a failure is reported under the file's name. Files go to the emptiest
// process, longest first.
const total = (group) => group.reduce((ms, path) => ms + estimate(path), 0);
const groups = Array.from({ length: Math.ceil(total(shared) / SHARED_PROCESS_MS) }, () => []);
for (const path of [...shared].sort((a, b) => estimate(b) - estimate(a) || a.localeCompare(b))) {
  groups.reduce((emptiest, group) => (total(group) < total(emptiest) ? group : emptiest)).push(path);
}
groups.forEach((group, i) => {
  if (group.length === 1) {
    units.push({ file: compiledPath(group[0]), files: group, ms: total(group), weight: Infinity });
    return;
  }
  const entry = join(out, 'test', `shared-process-${i + 1}.test.js`);
  const suites = group.map((path) => `describe(${JSON.stringify(path)}, () => import(${JSON.stringify(pathToFileURL(compiledPath(path)).href)}));`);
  writeFileSync(entry, [`import { describe } from 'node:test';`, ...suites, ''].join('\n'));
  units.push({ file: entry, files: group, ms: total(group), weight: Infinity });
});
// Longest first, so that none of them is what the suite waits for at the end: by how long each took
// last time, or before any run by the peers it starts. (`node --test` would sort the files by name.)
units.sort((a, b) => b.ms - a.ms || b.weight - a.weight || a.file.localeCompare(b.file));
// The waiting files first, in a process of their own beside the others.
if (waiting.length > 0) {
  const entry = join(out, 'test', 'waiting-files.test.js');
  writeFileSync(entry, waitingFilesEntry(waiting.map((path) => ({ path, url: pathToFileURL(compiledPath(path)).href }))));
  units.unshift({ file: entry, files: waiting, ms: Infinity, weight: Infinity });
}
// Each test file's process also loads a watchdog that ends it, failed, if a timed-out test left
// something behind that keeps it alive (scripts/test-file-watchdog.mjs). `timeout` is per test on
// Node 24, per file on Node 22 (as `node --test --test-timeout` is on each).
process.env.TAGPILOT_TEST_DIST = dist;
process.env.TAGPILOT_TEST_COMPILED = out;
// TAGPILOT_TEST_CPU=1: where the CPU goes, each test process's own and its children's, printed last.
const cpuLog = process.env.TAGPILOT_TEST_CPU ? join(out, 'cpu.jsonl') : undefined;
if (cpuLog) process.env.TAGPILOT_TEST_CPU_LOG = cpuLog;
// NODE_COMPILE_CACHE (Node ≥ 22.1): the fifty-odd test processes load mostly the same modules, and
// V8's cached code spares each later one compiling them again (~15% of loading them).
process.env.NODE_COMPILE_CACHE = join(out, 'compile-cache');
const stream = run({
  files: units.map((u) => u.file),
  concurrency: CONCURRENCY + (waiting.length > 0 ? 1 : 0),
  timeout: TEST_TIMEOUT_MS,
  execArgv: ['--enable-source-maps', '--import', pathToFileURL(resolve('scripts/test-file-watchdog.mjs')).href],
});
let result = 0;
stream.on('test:fail', ({ todo }) => (result = todo ? result : 1));
// How long each file took: a process's own `test:complete` (named after its file) for a file alone,
// the suite named after it for a file in a shared process.
const durations = {};
const ownProcess = new Map(units.filter((u) => u.files.length === 1).map((u) => [u.file, u.files[0]]));
const inSharedProcess = new Set(units.filter((u) => u.files.length > 1).flatMap((u) => u.files));
stream.on('test:complete', ({ name, file, nesting, details }) => {
  const path = name === file ? ownProcess.get(file) : nesting === (waiting.includes(name) ? 1 : 0) && inSharedProcess.has(name) ? name : undefined;
  if (path) durations[path] = Math.round(details.duration_ms);
});
for await (const chunk of stream.compose(tap)) process.stdout.write(chunk);
if (cpuLog) reportCpu(cpuLog);
// A run of named files times them alone, quicker than beside the whole suite: it only fills gaps.
writeDurations(named.length === 0 ? durations : Object.fromEntries(Object.entries(durations).filter(([path]) => timedHere[path] === undefined)));
if (named.length === 0 && process.env.TAGPILOT_TEST_SAVE_DURATIONS) {
  const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(COMMITTED_DURATIONS_FILE, `${JSON.stringify(sorted, null, 1)}\n`);
}
let failed = result !== 0;
for (const check of await checks) {
  process.stderr.write(`${check.name}: ${check.code === 0 ? 'ok' : `FAILED (exit ${check.code})`} (done ${check.seconds} s into the run)\n${check.output}`);
  failed ||= check.code !== 0;
}
process.exit(failed ? 1 : 0);

/** The test processes by CPU seconds, most first (TAGPILOT_TEST_CPU=1). */
function reportCpu(log) {
  let lines = [];
  try {
    lines = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  } catch {
    return;
  }
  const named = new Map(units.map((u) => [u.file, u.files.length === 1 ? u.files[0] : `${u.files.length} files: ${u.files.join(' ')}`]));
  const total = (l) => l.self + l.children;
  const { user, system } = process.cpuUsage();
  process.stderr.write(`CPU s of this runner (the build, reading the tests' results): ${((user + system) / 1e6).toFixed(1)}\n`);
  process.stderr.write(`CPU s (own + children) of ${lines.length} test processes: ${lines.reduce((s, l) => s + total(l), 0).toFixed(1)}; wall s from the suite's start\n`);
  const at = (ms) => ((ms - performance.timeOrigin) / 1000).toFixed(1).padStart(5);
  for (const l of lines.sort((a, b) => total(b) - total(a))) {
    const span = `${at(l.start)}-${at(l.end)}`;
    process.stderr.write(`${total(l).toFixed(2).padStart(7)} ${l.self.toFixed(2).padStart(6)} + ${l.children.toFixed(2).padStart(6)} ${span}  ${named.get(l.file) ?? l.file}\n`);
  }
}
