// What bench/service.bench.ts and bench/paired-interval.ts share to measure `tagpilot serve` with
// 1,000 images on a 1-minute interval: its config, when its start-up pass is over, its scans and its
// CPU and memory as a process.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOURNAL_FILE } from '../src/state/file-state-store.js';
import { getFreePort } from '../test/helpers/free-port.js';
import type { TestRegistry } from '../test/helpers/registry-server.js';

export const IMAGES = 1000;

/** A config of IMAGES images over 10 real repositories (the registry work is real, the scheduling is what is measured), written in `dir`. */
export async function writeManyImagesConfig(dir: string, registry: TestRegistry): Promise<{ configPath: string; stateDir: string; port: number }> {
  const images = Array.from({ length: IMAGES }, (_, i) => `  - { name: img${i}, repository: ${registry.host}/team/app${i % 10}, interval: 1m }`);
  const policies = Array.from({ length: IMAGES }, (_, i) => `  - { name: p${i}, image: img${i}, semver: '>=1.0.0' }`);
  const configPath = join(dir, 'tagpilot.yaml');
  const stateDir = join(dir, 'state');
  const port = await getFreePort();
  await writeFile(
    configPath,
    `images:\n${images.join('\n')}\npolicies:\n${policies.join('\n')}\nregistries: [{ host: ${registry.host}, insecure: true, concurrency: 8 }]\nserver: { host: 127.0.0.1, port: ${port} }\nstateDir: ${stateDir}\n`,
  );
  return { configPath, stateDir, port };
}

/** CPU time (ms), peak and current RSS (MiB) of a live process, from /proc. */
export async function processUsage(pid: number): Promise<{ cpuMs: number; peakRssMiB: number; rssMiB: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; after "pid (comm) " they are 11 and 12.
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { cpuMs, peakRssMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

/** How many scans the serve listening on `port` has made, from its /metrics. */
export async function scansMade(port: number): Promise<number> {
  return counterTotal(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'tagpilot_scans_total');
}

/** The sum of a counter's samples in a Prometheus text exposition. */
function counterTotal(metrics: string, name: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** How many images have a stored scan, read from the state journal: watching costs the service nothing. */
export async function imagesScanned(stateDir: string): Promise<number> {
  const journal = await readFile(join(stateDir, 'state', JOURNAL_FILE), 'utf8').catch(() => '');
  return new Set(journal.match(/^\{"key":"scan\/[^"]*"/gm) ?? []).size;
}
