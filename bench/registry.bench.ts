// Scans 300 repositories × 50 tags on a local docker-registry with RegistryClient, beside raw `fetch`
// of the same URLs at the same concurrency: the client's auth, limiter, retries and checks should
// cost little next to the network (aim: within 1.2×).
import { MANIFEST_ACCEPT, RegistryClient } from '../src/registry/registry-client.js';
import { scanRepository } from '../src/registry/scan-repository.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry-server.js';
import { median, type Benchmark, type BenchResult } from './bench-result.js';

const REPOSITORIES = 300;
const TAGS = 50;
const CONCURRENCY = 4;
const ROUNDS = 15;
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

const repoName = (i: number): string => `bench/app-${String(i).padStart(3, '0')}`;
const tagName = (j: number): string => `1.${j}.0`;

export const run: Benchmark = async () => {
  const registry = await startRegistry();
  try {
    await populate(registry);
    const repos = Array.from({ length: REPOSITORIES }, (_, i) => repoName(i));
    const listUrls = repos.map((r) => `${registry.url}/v2/${r}/tags/list?n=1000`);
    const latest = repos.map((r) => ({ repo: r, tag: tagName(TAGS - 1) }));

    const newClient = (): RegistryClient =>
      new RegistryClient([{ host: registry.host, insecure: true, concurrency: CONCURRENCY }]);

    const scan = await compare(
      async () => {
        const client = newClient();
        const scans = await Promise.all(repos.map((r) => scanRepository(client, `${registry.host}/${r}`)));
        check(scans.reduce((n, s) => n + s.tags.length, 0), REPOSITORIES * TAGS, 'client tags');
      },
      async () => {
        let total = 0;
        await pool(listUrls, async (url) => {
          const res = await fetch(url);
          total += ((await res.json()) as { tags: string[] }).tags.length;
        });
        check(total, REPOSITORIES * TAGS, 'fetch tags');
      },
    );

    const digests = await compare(
      async () => {
        const client = newClient();
        const found = await Promise.all(latest.map(({ repo, tag }) => client.getDigest(`${registry.host}/${repo}`, tag)));
        check(found.filter(Boolean).length, REPOSITORIES, 'client digests');
      },
      async () => {
        let found = 0;
        await pool(latest, async ({ repo, tag }) => {
          const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
          if (res.headers.get('docker-content-digest')) found++;
        });
        check(found, REPOSITORIES, 'fetch digests');
      },
    );

    const row = (name: string, [figure, baseline]: [number, number]): BenchResult => ({
      name,
      unit: 'median ms',
      figure,
      baselineName: `fetch, ${CONCURRENCY} in flight`,
      baseline,
      aim: '<= 1.2x baseline',
    });
    return [
      row(`registry scan: tags/list of ${REPOSITORIES} repos × ${TAGS} tags`, scan),
      row(`registry digests: HEAD of ${REPOSITORIES} manifests`, digests),
    ];
  } finally {
    await registry.stop();
  }
};

/**
 * Median of ROUNDS timed runs of each, alternating so both see the same machine state; one warm-up each.
 * A round is a few hundred milliseconds on a shared two-core machine, so it takes many for a stable median.
 */
async function compare(subject: () => Promise<void>, baseline: () => Promise<void>): Promise<[number, number]> {
  await subject();
  await baseline();
  const times: [number[], number[]] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, fn] of [subject, baseline].entries()) {
      const started = performance.now();
      await fn();
      times[i]!.push(performance.now() - started);
    }
  }
  return [median(times[0]), median(times[1])];
}

/** Runs `task` over `items` with CONCURRENCY workers, as the client's host limiter does. */
async function pool<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/**
 * Pushes one image per repository, then tags its manifest 49 more times by PUT: one request per tag
 * instead of five, so setting up 15,000 tags takes seconds.
 */
async function populate(registry: TestRegistry): Promise<void> {
  const indices = Array.from({ length: REPOSITORIES }, (_, i) => i);
  const workers = 16;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < indices.length) {
      const repo = repoName(indices[next++]!);
      await registry.pushImage(repo, tagName(0));
      const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tagName(0)}`, { headers: { accept: DOCKER_MANIFEST } });
      const manifest = Buffer.from(await res.arrayBuffer());
      for (let j = 1; j < TAGS; j++) {
        const put = await fetch(`${registry.url}/v2/${repo}/manifests/${tagName(j)}`, {
          method: 'PUT',
          headers: { 'content-type': DOCKER_MANIFEST },
          body: manifest,
        });
        if (put.status !== 201) throw new Error(`tag ${repo}:${tagName(j)}: HTTP ${put.status}`);
        await put.arrayBuffer();
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

function check(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}
