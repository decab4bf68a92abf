// Issue 6 aim: one automation run (fetch, edit 20 marked files among 5,000, commit, push) within 2x
// of the git CLI doing the same from scratch (cold) and within 1.2x from an existing clone (warm).
// Both sides talk to the same `git http-backend` over loopback, in the same process run. The
// repository has a history of 50 updates, so the depth-50 clone tagpilot makes (to see reverts) pays
// for history that `git clone --depth 1` does not; the third row says what that costs.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runAutomation } from '../src/automation/run-automation.js';
import { AutomationConfig } from '../src/config/schema.js';
import { GitRepository, HISTORY_DEPTH } from '../src/git/git-repository.js';
import { createLogger } from '../src/log.js';
import type { ImagePick } from '../src/update/apply-setters.js';
import { startGitServer, type TestGitServer } from '../test/helpers/git-server.js';
import { runCommand } from '../test/helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { median, type Benchmark, type BenchResult } from './bench-result.js';

export const FOLDERS = 50;
export const FILES_PER_FOLDER = 100;
export const MARKED = 20;
export const RUNS = 5;
/** Commits of history before the runs, each moving the 20 marked files, as a busy automation leaves them. */
const HISTORY = 50;
export const IMAGE = 'registry.example.com/acme/app';

/** Every git the CLI side runs: no user or system config, so a developer's settings cannot skew it. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.test',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.test',
  };
}

function manifest(folder: number, file: number, marked: boolean): string {
  const image = marked ? `${IMAGE}:1.0.0 # {"$imagepolicy": "app"}` : `registry.example.com/acme/svc-${folder}-${file}:2.${file}.0`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${folder}-${file}
  labels: { team: team-${folder % 7} }
spec:
  replicas: ${1 + (file % 3)}
  template:
    spec:
      containers:
        - name: main
          image: ${image}
          resources: { requests: { cpu: 100m, memory: 64Mi } }
`;
}

/**
 * A 5,000-file repository with HISTORY earlier updates of the marked files, built with the git CLI
 * and pushed once (faster than commitScript for this size).
 */
export async function seedRepository(server: TestGitServer, scratch: string, env: NodeJS.ProcessEnv): Promise<string> {
  const url = await server.createRepo('bench', { 'README.md': 'bench\n' });
  const work = join(scratch, 'seed');
  await runCommand('git', ['clone', '--quiet', url, work], { env });
  const step = Math.floor((FOLDERS * FILES_PER_FOLDER) / MARKED);
  let index = 0;
  for (let folder = 0; folder < FOLDERS; folder++) {
    const dir = join(work, 'clusters', `team-${String(folder).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: FILES_PER_FOLDER }, (_, file) =>
        writeFile(join(dir, `svc-${String(file).padStart(3, '0')}.yaml`), manifest(folder, file, index++ % step === 0)),
      ),
    );
  }
  await runCommand('git', ['add', '-A'], { cwd: work, env });
  await runCommand('git', ['commit', '--quiet', '-m', 'seed'], { cwd: work, env });
  for (let i = 1; i <= HISTORY; i++) await cliEdit(work, env, `0.0.${i}`, false);
  await runCommand('git', ['push', '--quiet', 'origin', 'main'], { cwd: work, env });
  await rm(work, { recursive: true, force: true });
  return url;
}

/** The git CLI's best effort at the same run: find the marked files, set the tag, commit, push. */
export async function cliEdit(work: string, env: NodeJS.ProcessEnv, tag: string, push = true): Promise<void> {
  const { stdout } = await runCommand('git', ['grep', '-l', '--fixed-strings', '$imagepolicy', '--', 'clusters'], { cwd: work, env });
  const files = stdout.split('\n').filter(Boolean);
  await Promise.all(
    files.map(async (file) => {
      const path = join(work, file);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/(acme\/app:)[^ ]+( # \{"\$imagepolicy": "app"\})/g, `$1${tag}$2`));
    }),
  );
  await runCommand('git', ['commit', '--quiet', '-am', `Update ${IMAGE} to ${tag}`], { cwd: work, env });
  if (push) await runCommand('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, env });
}

export async function time(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Cold and warm medians for tagpilot and the git CLI against one server. */
export const run: Benchmark = async () => {
  // tmpfs keeps disk noise out of the comparison (and the server's repositories live there too).
  const savedTmp = process.env.TMPDIR;
  if (existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
  const scratch = await makeTempDir('bench-git');
  const server = await startGitServer();
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  const env = gitEnv(scratch);
  const log = createLogger('silent');
  try {
    const url = await seedRepository(server, scratch, env);
    const automation = AutomationConfig.parse({
      name: 'bench',
      git: { url, branch: 'main', author: { name: 'tagpilot', email: 'tagpilot@example.test' } },
      paths: ['clusters'],
    });
    let version = 1;
    const nextPicks = (): Map<string, ImagePick> => {
      const tag = `1.0.${version++}`;
      return new Map([['app', { policy: 'app', repository: IMAGE, tag }]]);
    };
    const knownPolicies = new Set(['app']);
    const tagpilotRun = async (stateDir: string): Promise<void> => {
      const result = await runAutomation(automation, nextPicks(), { stateDir, log, knownPolicies });
      if (result.changes.length !== MARKED) throw new Error(`expected ${MARKED} changes, got ${result.changes.length}`);
    };

    // What the revert scan's history costs a fresh clone: HISTORY_DEPTH commits against one.
    const deep: number[] = [];
    const shallow: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [depth, times] of [[HISTORY_DEPTH, deep], [1, shallow]] as const) {
        const gitdir = join(scratch, `clone-${depth}-${i}`);
        times.push(await time(async () => void (await new GitRepository(gitdir, url, { historyDepth: depth }).fetchHead('main'))));
        await rm(gitdir, { recursive: true, force: true });
      }
    }

    const cold: number[] = [];
    const cliCold: number[] = [];
    const warm: number[] = [];
    const cliWarm: number[] = [];
    const warmState = join(scratch, 'warm-state');
    const cliWarmDir = join(scratch, 'cli-warm');
    await tagpilotRun(warmState);
    await runCommand('git', ['clone', '--quiet', '--single-branch', '-b', 'main', url, cliWarmDir], { env });

    for (let i = 0; i < RUNS; i++) {
      const state = join(scratch, `cold-${i}`);
      cold.push(await time(() => tagpilotRun(state)));
      await rm(state, { recursive: true, force: true });

      const work = join(scratch, `cli-cold-${i}`);
      cliCold.push(
        await time(async () => {
          await runCommand('git', ['clone', '--quiet', '--depth', '1', '--single-branch', '-b', 'main', url, work], { env });
          await cliEdit(work, env, `1.0.${version++}`);
        }),
      );
      await rm(work, { recursive: true, force: true });

      warm.push(await time(() => tagpilotRun(warmState)));
      cliWarm.push(
        await time(async () => {
          await runCommand('git', ['fetch', '--quiet', 'origin', 'main'], { cwd: cliWarmDir, env });
          await runCommand('git', ['reset', '--quiet', '--hard', 'origin/main'], { cwd: cliWarmDir, env });
          await cliEdit(cliWarmDir, env, `1.0.${version++}`);
        }),
      );
    }
    const row = (name: string, figure: number[], baselineName: string, baseline: number[], aim: string): BenchResult => ({
      name,
      unit: 'median ms',
      figure: median(figure),
      baselineName,
      baseline: median(baseline),
      aim,
    });
    return [
      row('git: cold run, 5,000 files, 20 edits', cold, 'git clone --depth 1 + edit + commit + push', cliCold, '<= 2x baseline'),
      row('git: warm run, 5,000 files, 20 edits', warm, 'git fetch + reset + edit + commit + push', cliWarm, '<= 1.2x baseline'),
      row(`git: fresh clone, depth ${HISTORY_DEPTH} (revert scan)`, deep, 'the same clone at depth 1', shallow, 'cost of history'),
    ];
  } finally {
    await server.stop();
    await removeTempDir(scratch);
  }
};
