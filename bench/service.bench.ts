// Service benchmarks (issue 7):
// 1. registry push → commit visible on the git server, 20 pushes, p50/p95, for both queue
//    backends; baseline: the git CLI doing the same edit (fetch, edit, commit, push) by hand.
// 2. 1,000 images on a 1-minute interval: CPU and memory of serve over one interval; baseline:
//    the same 1,000 tags/list requests made with raw fetch.
import { execFile } from 'node:child_process';
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

async function manyImages(): Promise<BenchResult[]> {
  const IMAGES = 1000;
  const registry = await startRegistry();
  const dir = await makeTempDir('bench-images');
  try {
    for (let i = 0; i < 10; i++) await registry.pushImage(`team/app${i}`, `1.0.${i}`);
    // 1,000 images over 10 real repositories: the registry work is real, the scheduling is what we measure.
    const images = Array.from({ length: IMAGES }, (_, i) => `  - { name: img${i}, repository: ${registry.host}/team/app${i % 10}, interval: 1m }`);
    const policies = Array.from({ length: IMAGES }, (_, i) => `  - { name: p${i}, image: img${i}, semver: '>=1.0.0' }`);
    const configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images:\n${images.join('\n')}\npolicies:\n${policies.join('\n')}\nregistries: [{ host: ${registry.host}, insecure: true, concurrency: 8 }]\nserver: { host: 127.0.0.1, port: 0 }\nstateDir: ${join(dir, 'state')}\n`,
    );
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const cpuBefore = process.cpuUsage();
    const service = await Service.start(loadConfig(configPath), { configPath }, createLogger('silent'));
    const started = performance.now();
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    // One full interval after the start-up pass: every image scanned twice.
    await new Promise((resolve) => setTimeout(resolve, 61_000));
    await service.queue.idle();
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const elapsed = (performance.now() - started) / 1000;
    const scans = [...service.pipeline.images.values()].filter((s) => s.lastScan).length;
    await service.stop();
    const serveCpuMs = (cpu.user + cpu.system) / 1000;

    // Baseline: the same number of tags/list requests (2 per image) with raw fetch, same concurrency.
    const urls = Array.from({ length: IMAGES * 2 }, (_, i) => `${registry.url}/v2/team/app${i % 10}/tags/list`);
    const fetchCpuBefore = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < urls.length) await (await fetch(urls[next++]!)).text();
      }),
    );
    const fetchCpu = process.cpuUsage(fetchCpuBefore);
    process.stderr.write(`1,000 images: ${scans} scanned, ${elapsed.toFixed(0)} s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (was ${(rssBefore / 2 ** 20).toFixed(0)} MiB before start)\n`);
    return [
      {
        name: 'serve CPU, 1,000 images @1m, one interval',
        unit: 'cpu ms',
        figure: serveCpuMs,
        baselineName: 'raw fetch of the same 2,000 tags/list URLs',
        baseline: (fetchCpu.user + fetchCpu.system) / 1000,
      },
      {
        name: 'serve peak RSS growth, 1,000 images',
        unit: 'MiB',
        figure: (peakRss - rssBefore) / 2 ** 20,
        baselineName: 'RSS before start',
        baseline: rssBefore / 2 ** 20,
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
