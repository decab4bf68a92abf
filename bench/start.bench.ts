// Issue 18 aims, whole processes as a user or a CI job starts them, from the bundle `npm run build`
// writes (built here into a temp folder), on the node running the bench:
// 1. `tagpilot --help` within 2x of `node -e 0`; `tagpilot check` on config/tagpilot.example.yaml
//    within 4x.
// 2. `tagpilot reconcile` with a new tag in the registry, 5,000-file repository, 20 marked files:
//    warm (stateDir kept) within 1.5x of the git CLI's fetch + reset + edit + commit + push, and
//    cold (empty stateDir) within 2x of `git clone --depth 1` + edit + commit + push, each side a
//    fresh process per run against the same `git http-backend`.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCommand } from '../test/helpers/run-command.js';
import { removeTempDir } from '../test/helpers/temp-dir.js';
import { median, type Benchmark, type BenchResult } from './bench-result.js';
import { reconcileConfig, startOnTmpfs, tagPusher, timeReconcile, type ReconcileFixture } from './reconcile-fixture.js';
import { cliEdit, gitEnv, MARKED, seedRepository } from './fleet-repository.js';

const START_RUNS = 15;
const RECONCILE_RUNS = 5;
/** What config/tagpilot.example.yaml reads from the environment. */
const EXAMPLE_ENV = ['TAGPILOT_API_TOKEN', 'GIT_TOKEN', 'GITLAB_API_TOKEN', 'GHCR_TOKEN', 'HOOK_SECRET_GITHUB', 'HOOK_SECRET_CI'];

/** Wall time of one process, which must exit 0. */
function timed(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}:\n${child.stdout}${child.stderr}`);
  return ms;
}

async function time(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function row(name: string, figure: number[], baselineName: string, baseline: number[], aim: string): BenchResult {
  return { name, unit: 'median ms', figure: median(figure), baselineName, baseline: median(baseline), aim };
}

export const run: Benchmark = async () => {
  const { scratch, git, registry } = await startOnTmpfs('bench-start');
  try {
    const dist = join(scratch, 'dist');
    const build = spawnSync(process.execPath, ['scripts/build.mjs', dist], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
    const main = join(dist, 'main.js');

    const exampleEnv: NodeJS.ProcessEnv = { ...process.env, TAGPILOT_LOG_LEVEL: 'silent', SLACK_WEBHOOK_URL: 'https://chat.example.test/hook' };
    for (const name of EXAMPLE_ENV) exampleEnv[name] = 'bench';
    // check reads the files the config names: the example's mounted secrets are made here.
    const example = await readFile('config/tagpilot.example.yaml', 'utf8');
    const localExample = join(scratch, 'tagpilot.example.yaml');
    const secrets: string[] = [];
    await writeFile(localExample, example.replace(/\/secrets\/[^\s'",}]+/g, (path) => (secrets.push(join(scratch, path)), join(scratch, path))));
    for (const file of secrets) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, '{"auths": {}}\n');
    }
    const check = [main, 'check', '--config', localExample];
    // One run each first, so the compile cache (Node >= 22.1) is as warm as a user's second run.
    timed([main, '--help']);
    timed(check, exampleEnv);
    const bare: number[] = [];
    const help: number[] = [];
    const checks: number[] = [];
    for (let i = 0; i < START_RUNS; i++) {
      bare.push(timed(['-e', '0']));
      help.push(timed([main, '--help']));
      checks.push(timed(check, exampleEnv));
    }

    const image = `${registry.host}/acme/app`;
    const env = gitEnv(scratch);
    const fixture: ReconcileFixture = { scratch, registry, image, url: await seedRepository(git, scratch, env, image) };
    const { url } = fixture;
    const configFor = (stateDir: string) => reconcileConfig(fixture, stateDir);
    const newTag = tagPusher(fixture);
    const reconcile = (config: string) => timeReconcile(main, config);

    const warmConfig = await configFor(join(scratch, 'warm-state'));
    const cliWarmDir = join(scratch, 'cli-warm');
    await newTag();
    await reconcile(warmConfig);
    await runCommand('git', ['clone', '--quiet', '--single-branch', '-b', 'main', url, cliWarmDir], { env });

    const cold: number[] = [];
    const cliCold: number[] = [];
    const warm: number[] = [];
    const cliWarm: number[] = [];
    for (let i = 0; i < RECONCILE_RUNS; i++) {
      const state = join(scratch, `cold-${i}`);
      await newTag();
      cold.push(await reconcile(await configFor(state)));
      await rm(state, { recursive: true, force: true });

      const work = join(scratch, `cli-cold-${i}`);
      const coldTag = await newTag();
      cliCold.push(
        await time(async () => {
          await runCommand('git', ['clone', '--quiet', '--depth', '1', '--single-branch', '-b', 'main', url, work], { env });
          await cliEdit(work, env, image, coldTag);
        }),
      );
      await rm(work, { recursive: true, force: true });

      await newTag();
      warm.push(await reconcile(warmConfig));
      const warmTag = await newTag();
      cliWarm.push(
        await time(async () => {
          await runCommand('git', ['fetch', '--quiet', 'origin', 'main'], { cwd: cliWarmDir, env });
          await runCommand('git', ['reset', '--quiet', '--hard', 'origin/main'], { cwd: cliWarmDir, env });
          await cliEdit(cliWarmDir, env, image, warmTag);
        }),
      );
    }
    return [
      row('start: tagpilot --help', help, 'node -e 0', bare, '<= 2x baseline'),
      row('start: tagpilot check (example config)', checks, 'node -e 0', bare, '<= 4x baseline'),
      row(`process: reconcile warm, 5,000 files, ${MARKED} edits`, warm, 'git fetch + reset + edit + commit + push', cliWarm, '<= 1.5x baseline'),
      row(`process: reconcile cold, 5,000 files, ${MARKED} edits`, cold, 'git clone --depth 1 + edit + commit + push', cliCold, '<= 2x baseline'),
    ];
  } finally {
    await Promise.all([git.stop(), registry.stop()]);
    await removeTempDir(scratch);
  }
};
