// Issue 6 aim: one automation run (fetch, edit 20 marked files among 5,000, commit, push) within 2x
// of the git CLI doing the same from scratch (cold) and within 1.2x from an existing clone (warm).
// Both sides talk to the same `git http-backend` over loopback, in the same process run. The
// repository has a history of 50 updates, so the depth-50 clone tagpilot makes (to see reverts) pays
// for history that `git clone --depth 1` does not; the third row says what that costs.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runAutomation } from '../src/automation/run-automation.js';
import { AutomationConfig } from '../src/config/schema.js';
import { GitRepository, HISTORY_DEPTH } from '../src/git/git-repository.js';
import { createLogger } from '../src/log.js';
import type { ImagePick } from '../src/update/apply-setters.js';
import { startGitServer } from '../test/helpers/git-server.js';
import { runCommand } from '../test/helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { onTmpfs } from './reconcile-fixture.js';
import { median, type Benchmark, type BenchResult } from './bench-result.js';
import { cliEdit, gitEnv, MARKED, seedRepository } from './fleet-repository.js';

export const RUNS = 5;
export const IMAGE = 'registry.example.com/acme/app';

export async function time(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Cold and warm medians for tagpilot and the git CLI against one server. */
export const run: Benchmark = async () => {
  const { scratch, server } = await onTmpfs(async () => ({ scratch: await makeTempDir('bench-git'), server: await startGitServer() }));
  const env = gitEnv(scratch);
  const log = createLogger('silent');
  try {
    const url = await seedRepository(server, scratch, env, IMAGE);
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
          await cliEdit(work, env, IMAGE, `1.0.${version++}`);
        }),
      );
      await rm(work, { recursive: true, force: true });

      warm.push(await time(() => tagpilotRun(warmState)));
      cliWarm.push(
        await time(async () => {
          await runCommand('git', ['fetch', '--quiet', 'origin', 'main'], { cwd: cliWarmDir, env });
          await runCommand('git', ['reset', '--quiet', '--hard', 'origin/main'], { cwd: cliWarmDir, env });
          await cliEdit(cliWarmDir, env, IMAGE, `1.0.${version++}`);
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
