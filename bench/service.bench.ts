// Service benchmarks (issue 7):
// 1. registry push → commit visible on the git server, 20 pushes, p50/p95, for both queue
//    backends; baseline: the git CLI doing the same edit (fetch, edit, commit, push) by hand.
// 2. 1,000 images on a 1-minute interval: CPU of a `tagpilot serve` process in one interval after
//    its start-up pass (issue 18: within 1.5x), and over the start-up pass and that interval, and its
//    peak RSS (issue 18: under 150 MiB), run as the npm bin runs it and as the container does (its
//    NODE_OPTIONS); baseline: a node process making the same tags/list requests with raw fetch, its
//    CPU for the same number of requests measured the same way.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log.js';
import { Service } from '../src/serve.js';
import { getFreePort } from '../test/helpers/free-port.js';
import { startGitServer } from '../test/helpers/git-server.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import type { BenchResult } from './bench-result.js';
import { IMAGES, imagesScanned, processUsage, scansMade, writeManyImagesConfig } from './many-images-serve.js';

const run$ = promisify(execFile);
const PUSHES = 20;
/** How long a push may take to reach the git server before the run fails instead of waiting for ever. */
const PUSH_DEADLINE_MS = 60_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function pushToCommit(backend: 'in-process' | 'bullmq'): Promise<{ latencies: number[]; gitCli: number[] }> {
  const port = await getFreePort();
  const redis = backend === 'bullmq' ? await startRedis() : null;
  const [registry, git, dir] = await Promise.all([
    startRegistry({ notifications: { url: `http://127.0.0.1:${port}/hooks/registry`, headers: { Authorization: 'Bearer s' } } }),
    startGitServer(),
    makeTempDir('bench-service'),
  ]);
  try {
    const url = await git.createRepo('fleet', { 'app.yaml': `image: ${registry.host}/acme/app:0.0.0 # {"$imagepolicy": "app"}\n` });
    const configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${registry.host}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=0.0.0' }]
automations: [{ name: fleet, git: { url: ${url} }, interval: 0 }]
registries: [{ host: ${registry.host}, insecure: true }]
webhooks: [{ name: registry, type: distribution, secret: s }]
server: { host: 127.0.0.1, port: ${port} }
stateDir: ${join(dir, 'state')}
${redis ? `queue: { redisUrl: '${redis.url}' }` : ''}
`,
    );
    const service = await Service.start(await loadConfig(configPath), { configPath }, createLogger('silent'));
    await service.queue.idle();
    const latencies: number[] = [];
    try {
      for (let i = 1; i <= PUSHES; i++) {
        const tag = `1.0.${i}`;
        const start = performance.now();
        await registry.pushImage('acme/app', tag);
        const path = join(git.repoPath('fleet'));
        for (;;) {
          const { stdout } = await run$('git', ['--git-dir', path, 'show', 'main:app.yaml']);
          if (stdout.includes(`:${tag} `)) break;
          // A lost push fails the run rather than hanging it (this once waited for ever: the webhook's
          // scan ran before the registry listed the tag, which tagpilot now waits for).
          if (performance.now() - start > PUSH_DEADLINE_MS) {
            throw new Error(`${backend}: push ${i} (${tag}) not committed within ${PUSH_DEADLINE_MS / 1000} s`);
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        latencies.push(performance.now() - start);
      }
    } finally {
      await service.stop();
    }
    // Baseline: a person's script doing the same edit with the git CLI on a warm clone.
    const work = join(dir, 'cli');
    await run$('git', ['clone', '-q', url, work]);
    const gitCli: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const start = performance.now();
      await run$('git', ['-C', work, 'fetch', '-q', 'origin']);
      await run$('git', ['-C', work, 'reset', '-q', '--hard', 'origin/main']);
      const file = join(work, 'app.yaml');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/:[^ ]+ #/, `:2.0.${i} #`));
      await run$('git', ['-C', work, '-c', 'user.name=b', '-c', 'user.email=b@x', 'commit', '-qam', `bump ${i}`]);
      await run$('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
      gitCli.push(performance.now() - start);
    }
    return { latencies, gitCli };
  } finally {
    await Promise.all([registry.stop(), git.stop(), redis?.stop()]);
    await removeTempDir(dir);
  }
}

/** NODE_OPTIONS as the container sets it (the Dockerfile's ENV), so the bench measures what the image runs. */
async function containerNodeOptions(): Promise<string> {
  const match = /^\s*NODE_OPTIONS=(\S+)/m.exec(await readFile('Dockerfile', 'utf8'));
  if (!match) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return match[1]!;
}

interface ServeUsage {
  /** After the start-up pass, every image scanned once. */
  startup: { cpuMs: number; peakRssMiB: number };
  /** 60 s later. */
  whole: { cpuMs: number; peakRssMiB: number };
  scansBefore: number;
  scansAfter: number;
}

const INTERVAL_MS = 60_000;

// `tagpilot serve` from the bundle, as its own process, with 1,000 images on a 1-minute interval.
// Its CPU (from /proc) is read when every image has been scanned once (the start-up pass) and 60 s
// later: that difference is one interval, every image scanned once more by its schedule.
async function serveOneInterval(main: string, registry: TestRegistry, dir: string, env: NodeJS.ProcessEnv): Promise<ServeUsage> {
  await mkdir(dir);
  const { configPath, stateDir, port } = await writeManyImagesConfig(dir, registry);
  const serve = spawn(process.execPath, [main, 'serve', '--config', configPath], {
    env: { ...process.env, ...env, TAGPILOT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    while ((await imagesScanned(stateDir)) < IMAGES) {
      if (serve.exitCode !== null) throw new Error(`serve exited with ${serve.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Each scrape outside the interval: counted before its start, and after its end.
    const scansBefore = await scansMade(port);
    const startup = await processUsage(serve.pid!);
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    const whole = await processUsage(serve.pid!);
    return { startup, whole, scansBefore, scansAfter: await scansMade(port) };
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
}

// The serve the npm package's bin starts (plain `node`), and beside it, at the same time so that both
// see the same load, one with the container's NODE_OPTIONS: only its peak RSS is reported. The
// baseline is a node process making as many tags/list requests with fetch: first as many as serve
// made before the interval (its start-up pass), 8 at a time, then the interval's, measuring their CPU
// itself (process.cpuUsage), so node's start-up is left out of it as serve's is. It makes the
// interval's twice: in one burst, 8 at a time, and at random times over 60 s as serve's schedule
// spreads its scans. The same fetches cost 3-4x the CPU spread out (each wakes an idle process
// on its own) as in a burst. Serve's scheduler fires the scans due on whole-second ticks,
// together, so a second baseline process (beside the first) makes the interval's fetches that way:
// the like-for-like row, between the burst and the spread.
async function manyImages(): Promise<BenchResult[]> {
  const registry = await startRegistry();
  const dir = await makeTempDir('bench-images');
  try {
    for (let i = 0; i < 10; i++) await registry.pushImage(`team/app${i}`, `1.0.${i}`);
    const build = spawnSync(process.execPath, ['scripts/build.mjs', join(dir, 'dist')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
    const main = join(dir, 'dist', 'main.js');
    const nodeOptions = await containerNodeOptions();
    const [bin, container] = await Promise.all([
      serveOneInterval(main, registry, join(dir, 'bin'), {}),
      serveOneInterval(main, registry, join(dir, 'container'), { NODE_OPTIONS: nodeOptions }),
    ]);
    const { scansBefore, scansAfter } = bin;
    const inInterval = scansAfter - scansBefore;

    // Baseline: a node process making the same tags/list requests with raw fetch.
    const script = `const urls = Array.from({ length: ${scansAfter} }, (_, i) => '${registry.url}/v2/team/app' + (i % 10) + '/tags/list');
let next = 0;
const fetchUpTo = (end) => Promise.all(Array.from({ length: 8 }, async () => { while (next < end) await (await fetch(urls[next++])).text(); }));
await fetchUpTo(${scansBefore});
let before = process.cpuUsage();
await fetchUpTo(urls.length);
const burst = process.cpuUsage(before);
const r = process.resourceUsage();
before = process.cpuUsage();
await Promise.all(urls.slice(${scansBefore}).map(async (url) => {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ${INTERVAL_MS}));
  await (await fetch(url)).text();
}));
const spread = process.cpuUsage(before);
const ms = (usage) => (usage.user + usage.system) / 1000;
console.log(JSON.stringify({ burstCpuMs: ms(burst), spreadCpuMs: ms(spread), cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, peakRssMiB: r.maxRSS / 1024 }));`;
    // The same interval's fetches at the times serve's scheduler makes them: each URL due at a random
    // moment of the minute, and each second's tick fetching those due, 8 at a time (src/queue/scheduler.ts).
    const ticksScript = `const urls = Array.from({ length: ${scansAfter} }, (_, i) => '${registry.url}/v2/team/app' + (i % 10) + '/tags/list');
const fetchAll = (list) => { let next = 0; return Promise.all(Array.from({ length: 8 }, async () => { while (next < list.length) await (await fetch(list[next++])).text(); })); };
await fetchAll(urls.slice(0, ${scansBefore}));
const due = urls.slice(${scansBefore}).map((url) => ({ url, second: Math.floor(Math.random() * ${INTERVAL_MS / 1000}) }));
const before = process.cpuUsage();
const start = Date.now();
for (let second = 0; second < ${INTERVAL_MS / 1000}; second++) {
  await new Promise((resolve) => setTimeout(resolve, start + second * 1000 - Date.now()));
  await fetchAll(due.filter((d) => d.second === second).map((d) => d.url));
}
const usage = process.cpuUsage(before);
console.log(JSON.stringify({ ticksCpuMs: (usage.user + usage.system) / 1000 }));`;
    const [{ stdout }, ticks] = await Promise.all([
      run$(process.execPath, ['--input-type=module', '-e', script]),
      run$(process.execPath, ['--input-type=module', '-e', ticksScript]),
    ]);
    const fetchUsage = JSON.parse(stdout) as { burstCpuMs: number; spreadCpuMs: number; cpuMs: number; peakRssMiB: number };
    const { ticksCpuMs } = JSON.parse(ticks.stdout) as { ticksCpuMs: number };
    process.stderr.write(`1,000 images: ${scansBefore} scans in the start-up pass, ${inInterval} in the interval after it\n`);
    return [
      {
        name: `serve process CPU, one 1m interval after start-up, 1,000 images, ${inInterval} scans`,
        unit: 'cpu ms',
        figure: bin.whole.cpuMs - bin.startup.cpuMs,
        baselineName: `node process fetching the same ${inInterval} tags/list URLs at random times over 60 s, as serve's schedule spreads them`,
        baseline: fetchUsage.spreadCpuMs,
        aim: '<= 1.5x baseline',
      },
      {
        name: 'serve process CPU, the same interval',
        unit: 'cpu ms',
        figure: bin.whole.cpuMs - bin.startup.cpuMs,
        baselineName: `node process fetching the same ${inInterval} tags/list URLs as serve's 1 s ticks fire them, 8 at a time`,
        baseline: ticksCpuMs,
        aim: '<= 1.5x baseline',
      },
      {
        name: 'serve process CPU, the same interval',
        unit: 'cpu ms',
        figure: bin.whole.cpuMs - bin.startup.cpuMs,
        baselineName: `node process fetching the same ${inInterval} tags/list URLs in one burst, 8 at a time`,
        baseline: fetchUsage.burstCpuMs,
        aim: '<= 1.5x baseline',
      },
      {
        name: `serve process CPU, start-up pass + that interval, ${scansAfter} scans`,
        unit: 'cpu ms',
        figure: bin.whole.cpuMs,
        baselineName: `node process fetching the same ${scansAfter} tags/list URLs, start-up included`,
        baseline: fetchUsage.cpuMs,
      },
      {
        name: 'serve process peak RSS, 1,000 images, plain node (the npm bin)',
        unit: 'MiB',
        figure: bin.whole.peakRssMiB,
        baselineName: 'the fetching node process',
        baseline: fetchUsage.peakRssMiB,
        aim: '< 150 MiB',
      },
      {
        name: `serve process peak RSS, 1,000 images, NODE_OPTIONS=${nodeOptions} (the container)`,
        unit: 'MiB',
        figure: container.whole.peakRssMiB,
        baselineName: 'the fetching node process',
        baseline: fetchUsage.peakRssMiB,
        aim: '< 150 MiB',
      },
    ];
  } finally {
    await registry.stop();
    await removeTempDir(dir);
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const backend of ['in-process', 'bullmq'] as const) {
    const { latencies, gitCli } = await pushToCommit(backend);
    for (const p of [50, 95]) {
      results.push({
        name: `push → commit p${p}, ${backend} queue, ${PUSHES} pushes`,
        unit: 'ms',
        figure: percentile(latencies, p),
        baselineName: `git CLI fetch+edit+commit+push p${p}`,
        baseline: percentile(gitCli, p),
        aim: p === 50 ? 'p50 < 1000 ms' : undefined,
      });
    }
  }
  results.push(...(await manyImages()));
  return results;
}
