// A short command's compile cache (src/main.ts, compileBundleEagerly): the second run takes every
// chunk of the bundle from the cache, and a chunk's cache holds its functions, not only its top
// level. Node reports what its cache does with NODE_DEBUG_NATIVE=COMPILE_CACHE.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { builtDist } from '../helpers/built-dist.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const CONFIG = `images:
  - name: app
    repository: ghcr.io/acme/app
policies:
  - name: app
    image: app
    semver: '>=1.0.0'
automations:
  - name: fleet
    git: { url: 'https://git.example.test/fleet.git' }
    commitMessage: 'Update {{#each images}}{{repository}}:{{tag}} {{/each}}'
`;

/** What Node's compile cache said about each file it read: the cache's size and whether V8 took it. */
function cacheReport(stderr: string): Map<string, { size: number; verdict: string }> {
  const report = new Map<string, { size: number; verdict: string }>();
  for (const [, url, size] of stderr.matchAll(/reading cache from \S+ for ESM (file:\S+?)\.\.\.\[[^\]]*\]\.\.\. success, size=(\d+)/g)) {
    report.set(url!, { size: Number(size), verdict: 'unknown' });
  }
  // Node 24: "V8 code cache for ESM URL was accepted"; Node 22: "cache for URL was accepted".
  for (const [, url, verdict] of stderr.matchAll(/(?:V8 code cache for ESM|\] cache for) (file:\S+) was (\w+)/g)) {
    const entry = report.get(url!);
    if (entry) entry.verdict = verdict!;
  }
  return report;
}

describe('compile cache of a short command', () => {
  let dir: string;
  let dist: string;
  before(async () => {
    dir = await makeTempDir('compile-cache');
    dist = await builtDist();
    writeFileSync(join(dir, 'tagpilot.yaml'), CONFIG);
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  const node = (cache: string, args: string[]) =>
    spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, NODE_COMPILE_CACHE: join(dir, cache), NODE_DEBUG_NATIVE: 'COMPILE_CACHE', TAGPILOT_LOG_LEVEL: 'silent' },
    });

  it('a second check takes every chunk from the cache, each holding its functions', () => {
    const check = [join(dist, 'main.js'), 'check', '--config', join(dir, 'tagpilot.yaml')];
    const first = node('eager', check);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    const second = node('eager', check);
    assert.equal(second.status, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /valid \(1 images, 1 policies, 1 automations\)/);

    const chunks = [...cacheReport(second.stderr)].filter(([url]) => url.startsWith(pathToFileURL(dist).href));
    assert.ok(chunks.length >= 5, `chunks read from the cache: ${chunks.length}\n${second.stderr}`);
    // A cache made under other V8 flags is refused: the flags must be the same at each chunk's compile in every run.
    assert.deepEqual(
      chunks.filter(([, entry]) => entry.verdict !== 'accepted').map(([url]) => url),
      [],
    );

    // The chunk holding yaml, loaded alone (lazily compiled, as Node does without the hook), caches only its top level.
    const yamlChunk = readdirSync(join(dist, 'chunks')).find(
      (name) => name.endsWith('.js') && (JSON.parse(readFileSync(join(dist, 'chunks', `${name}.map`), 'utf8')) as { sources: string[] }).sources.some((s) => s.endsWith('yaml/dist/parse/parser.js')),
    );
    assert.ok(yamlChunk, 'no chunk holds yaml');
    const url = pathToFileURL(join(dist, 'chunks', yamlChunk)).href;
    const alone = ['--input-type=module', '-e', `await import(${JSON.stringify(url)});`];
    assert.equal(node('lazy', alone).status, 0);
    const lazy = cacheReport(node('lazy', alone).stderr).get(url);
    const eager = chunks.find(([chunk]) => chunk === url)?.[1];
    assert.ok(lazy && eager, `yaml's chunk ${yamlChunk} was not read from both caches`);
    assert.ok(eager.size > 3 * lazy.size, `the cache of yaml's chunk holds ${eager.size} bytes after check, ${lazy.size} with its top level alone`);
  });
});
