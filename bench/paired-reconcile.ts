// Paired, alternating runs of a whole `tagpilot reconcile` process, warm or cold, as
// bench/start.bench.ts times them, for two or more builds (`node scripts/build.mjs DIR` for each):
// single bench runs move by ±10% with the machine, more than most changes to reconcile do.
//   node --import tsx bench/paired-reconcile.ts warm|cold ROUNDS DIST_A DIST_B ...
// One git server, registry and seeded fleet repository serve every run. Each round runs every build
// once, the order rotating per round, a new tag before each run: warm runs keep a state folder per
// build (made by one run before the rounds), cold ones start from an empty one. Prints each run's
// wall time, then the medians and (for two builds) the paired differences. NODE_ARGS adds node flags
// to every run (`--cpu-prof --cpu-prof-dir=DIR`). Not a *.bench.ts: `npm run bench` skips it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTempDir } from '../test/helpers/temp-dir.js';
import { median } from './bench-result.js';
import { gitEnv, seedRepository } from './fleet-repository.js';
import { reconcileConfig, startOnTmpfs, tagPusher, timeReconcile, type ReconcileFixture } from './reconcile-fixture.js';

const [mode, roundsArg, ...dists] = process.argv.slice(2);
const rounds = Number(roundsArg);
if ((mode !== 'warm' && mode !== 'cold') || !(rounds > 0) || dists.length === 0) {
  console.error('usage: node --import tsx bench/paired-reconcile.ts warm|cold ROUNDS DIST...');
  process.exit(2);
}
const nodeArgs = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);

const { scratch, git, registry } = await startOnTmpfs('paired-reconcile');
const times = new Map<string, number[]>(dists.map((d) => [d, []]));
try {
  const image = `${registry.host}/acme/app`;
  const fixture: ReconcileFixture = { scratch, registry, image, url: await seedRepository(git, scratch, gitEnv(scratch), image) };
  const newTag = tagPusher(fixture);
  const warmConfigs = new Map<string, string>();
  for (const [i, dist] of dists.entries()) {
    const config = await reconcileConfig(fixture, join(scratch, `warm-${i}`));
    warmConfigs.set(dist, config);
    if (mode === 'warm') {
      await newTag();
      await timeReconcile(join(dist, 'main.js'), config, nodeArgs);
    }
  }
  for (let round = 0; round < rounds; round++) {
    const order = dists.map((_, k) => dists[(k + round) % dists.length]!);
    for (const dist of order) {
      const state = join(scratch, `cold-${round}-${dists.indexOf(dist)}`);
      const config = mode === 'warm' ? warmConfigs.get(dist)! : await reconcileConfig(fixture, state);
      await newTag();
      const ms = await timeReconcile(join(dist, 'main.js'), config, nodeArgs);
      times.get(dist)!.push(ms);
      if (mode === 'cold') await rm(state, { recursive: true, force: true });
      console.log(`round ${round} ${dist}: ${mode} ${ms.toFixed(0)} ms`);
    }
  }
} finally {
  await Promise.all([git.stop(), registry.stop()]);
  await removeTempDir(scratch);
}
for (const [dist, ms] of times) console.log(`${dist}: ${mode} median ${median(ms).toFixed(0)} ms [${ms.map((m) => m.toFixed(0)).join(', ')}]`);
if (dists.length === 2) {
  const [a, b] = dists.map((d) => times.get(d)!);
  const diffs = a!.map((ms, i) => b![i]! - ms);
  console.log(`paired differences (B - A): [${diffs.map((d) => d.toFixed(0)).join(', ')}], median ${median(diffs).toFixed(0)} ms`);
}
