// Paired, alternating runs of serve's interval CPU, measured as bench/service.bench.ts measures it,
// for two or more builds (`node scripts/build.mjs DIR` for each): single runs of that bench vary by
// ±10%, more than most changes to serve move it.
//   node --import tsx bench/paired-interval.ts ROUNDS DIST_A DIST_B ...
// Each round runs every build once, one after another, the order rotating per round, against one
// registry; each run prints the interval's CPU and scans, the start-up pass's CPU and wall time and
// the peak RSS, and the end the medians and (for two builds) the paired differences. NODE_ARGS adds
// node flags to serve (e.g. `--cpu-prof --cpu-prof-dir=DIR`), SERVE_STDOUT=1 passes its stdout
// through (`--trace-gc`), INTERVAL_MS shortens the interval. Not a *.bench.ts: `npm run bench` skips it.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../test/helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { median } from './bench-result.js';
import { IMAGES, imagesScanned, processUsage, scansMade, writeManyImagesConfig } from './many-images-serve.js';

const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 60_000);

async function once(main: string, registry: TestRegistry, dir: string, extraArgs: string[]) {
  await mkdir(dir);
  const { configPath, stateDir, port } = await writeManyImagesConfig(dir, registry);
  const wallStart = performance.now();
  const serve = spawn(process.execPath, [...extraArgs, main, 'serve', '--config', configPath], {
    env: { ...process.env, TAGPILOT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', process.env.SERVE_STDOUT ? 'inherit' : 'ignore', 'inherit'],
    cwd: dir,
  });
  try {
    while ((await imagesScanned(stateDir)) < IMAGES) {
      if (serve.exitCode !== null) throw new Error(`serve exited with ${serve.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const startupWall = performance.now() - wallStart;
    const scansBefore = await scansMade(port);
    const before = await processUsage(serve.pid!);
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    const after = await processUsage(serve.pid!);
    const inInterval = (await scansMade(port)) - scansBefore;
    return { interval: after.cpuMs - before.cpuMs, startup: before.cpuMs, startupWall, peak: after.peakRssMiB, rss: after.rssMiB, scans: inInterval };
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
}

const [roundsArg, ...dists] = process.argv.slice(2);
const rounds = Number(roundsArg);
const extraArgs = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);
const registry = await startRegistry();
const dir = await makeTempDir('paired-interval');
const results = new Map<string, Array<Awaited<ReturnType<typeof once>>>>(dists.map((d) => [d, []]));
try {
  for (let i = 0; i < 10; i++) await registry.pushImage(`team/app${i}`, `1.0.${i}`);
  for (let round = 0; round < rounds; round++) {
    const order = dists.map((_, k) => dists[(k + round) % dists.length]!);
    for (const dist of order) {
      const r = await once(join(dist, 'main.js'), registry, join(dir, `${round}-${results.get(dist)!.length}-${dists.indexOf(dist)}`), extraArgs);
      results.get(dist)!.push(r);
      const load = (await readFile('/proc/loadavg', 'utf8')).split(' ')[0];
      console.log(`round ${round} ${dist}: interval ${r.interval} ms cpu, start-up ${r.startup} ms cpu / ${r.startupWall.toFixed(0)} ms wall, scans ${r.scans}, peak ${r.peak.toFixed(1)} MiB, rss ${r.rss.toFixed(1)} MiB, load ${load}`);
    }
  }
} finally {
  await registry.stop();
  await removeTempDir(dir);
}
for (const [dist, rs] of results) {
  console.log(
    `${dist}: interval median ${median(rs.map((r) => r.interval))} [${rs.map((r) => r.interval).join(', ')}]; start-up median ${median(rs.map((r) => r.startup))}; peak median ${median(rs.map((r) => r.peak)).toFixed(1)} [${rs.map((r) => r.peak.toFixed(0)).join(', ')}]`,
  );
}
if (dists.length === 2) {
  const [a, b] = dists.map((d) => results.get(d)!);
  const diffs = a!.map((r, i) => b![i]!.interval - r.interval);
  console.log(`paired interval differences (B - A): [${diffs.join(', ')}], median ${median(diffs)}`);
}
