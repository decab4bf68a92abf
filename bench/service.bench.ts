// Service benchmarks (issue 7):
// 1. registry push → commit visible on the git server, 20 pushes, p50/p95, for both queue
//    backends; baseline: the git CLI doing the same edit (fetch, edit, commit, push) by hand.
// 2. 1,000 images on a 1-minute interval: CPU and peak RSS of a `tagpilot serve` process over the
//    start-up pass and one interval; baseline: a node process making the same tags/list requests
//    with raw fetch (issue 18: CPU within 1.5x, RSS under 150 MiB).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log.js';
import { Service } from '../src/serve.js';
import { getFreePort } from '../test/helpers/free-port.js';
import { startGitServer } from '../test/helpers/git-server.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { startRegistry } from '../test/helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import type { BenchResult } from './bench-result.js';

const run$ = promisify(execFile);
const PUSHES = 20;

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
    const service = await Service.start(loadConfig(configPath), { configPath }, createLogger('silent'));
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

/** CPU time (ms) and peak RSS (MiB) of a live process, from /proc. */
async function processUsage(pid: number): Promise<{ cpuMs: number; peakRssMiB: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; after "pid (comm) " they are 11 and 12.
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const peakKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]);
  return { cpuMs, peakRssMiB: peakKiB / 1024 };
}

/** The sum of a counter's samples in a Prometheus text exposition. */
function counterTotal(metrics: string, name: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

// `tagpilot serve` from the bundle, as its own process, with 1,000 images on a 1-minute interval:
// its CPU time and peak RSS (from /proc) over the start-up pass and one full interval, against a
// node process making the same number of tags/list requests with fetch, 8 at a time.
async function manyImages(): Promise<BenchResult[]> {
  const IMAGES = 1000;
  const registry = await startRegistry();
  const dir = await makeTempDir('bench-images');
  try {
    for (let i = 0; i < 10; i++) await registry.pushImage(`team/app${i}`, `1.0.${i}`);
    const build = spawnSync(process.execPath, ['scripts/build.mjs', join(dir, 'dist')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
    // 1,000 images over 10 real repositories: the registry work is real, the scheduling is what we measure.
    const images = Array.from({ length: IMAGES }, (_, i) => `  - { name: img${i}, repository: ${registry.host}/team/app${i % 10}, interval: 1m }`);
    const policies = Array.from({ length: IMAGES }, (_, i) => `  - { name: p${i}, image: img${i}, semver: '>=1.0.0' }`);
    const configPath = join(dir, 'tagpilot.yaml');
    const port = await getFreePort();
    await writeFile(
      configPath,
      `images:\n${images.join('\n')}\npolicies:\n${policies.join('\n')}\nregistries: [{ host: ${registry.host}, insecure: true, concurrency: 8 }]\nserver: { host: 127.0.0.1, port: ${port} }\nstateDir: ${join(dir, 'state')}\n`,
    );
    const serve = spawn(process.execPath, [join(dir, 'dist', 'main.js'), 'serve', '--config', configPath], {
      env: { ...process.env, TAGPILOT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let usage;
    let scans = 0;
    try {
      // The start-up pass, then one full interval: every image scanned twice.
      await new Promise((resolve) => setTimeout(resolve, 63_000));
      usage = await processUsage(serve.pid!);
      scans = counterTotal(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'tagpilot_scans_total');
    } finally {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve.once('exit', resolve));
    }

    // Baseline: a node process making the same number of tags/list requests with raw fetch.
    const script = `const urls = Array.from({ length: ${scans} }, (_, i) => '${registry.url}/v2/team/app' + (i % 10) + '/tags/list');
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => { while (next < urls.length) await (await fetch(urls[next++])).text(); }));
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, peakRssMiB: r.maxRSS / 1024 }));`;
    const { stdout } = await run$(process.execPath, ['--input-type=module', '-e', script]);
    const fetchUsage = JSON.parse(stdout) as { cpuMs: number; peakRssMiB: number };
    process.stderr.write(`1,000 images: ${scans} scans in 63 s\n`);
    return [
      {
        name: `serve process CPU, 1,000 images @1m, ${scans} scans`,
        unit: 'cpu ms',
        figure: usage.cpuMs,
        baselineName: `node process fetching the same ${scans} tags/list URLs`,
        baseline: fetchUsage.cpuMs,
        aim: '<= 1.5x baseline',
      },
      {
        name: 'serve process peak RSS, 1,000 images',
        unit: 'MiB',
        figure: usage.peakRssMiB,
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
