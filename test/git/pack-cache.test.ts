// The delta-cache workaround: pack indexes loaded from .idx files get a numeric readDepth, so
// isomorphic-git keeps inflated objects instead of re-inflating every delta chain.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import git from 'isomorphic-git';
import { createPackCache } from '../../src/git/pack-cache.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

async function packIndexDepths(cache: object): Promise<unknown[]> {
  const depths: unknown[] = [];
  for (const key of Object.getOwnPropertySymbols(cache)) {
    const map = (cache as Record<symbol, unknown>)[key];
    if (!(map instanceof Map)) continue;
    for (const promise of map.values()) depths.push(((await promise) as { readDepth?: number }).readDepth);
  }
  return depths;
}

describe('createPackCache', () => {
  let dir: string;
  let blobs: string[];
  before(async () => {
    dir = await makeTempDir('pack-cache');
    const run = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
    run('init', '-q', '-b', 'main');
    // Similar files in several commits, so `git gc` stores most of them as deltas.
    for (let commit = 0; commit < 3; commit++) {
      for (let i = 0; i < 20; i++) fs.writeFileSync(join(dir, `f${i}.yaml`), `image: app:1.0.${commit} # ${'x'.repeat(200)} ${i}\n`);
      run('add', '.');
      run('-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', `c${commit}`);
    }
    run('gc', '-q', '--aggressive');
    blobs = run('rev-list', '--objects', '--all').split('\n').filter((l) => l.includes('.yaml')).map((l) => l.split(' ')[0]!);
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  const readAll = async (cache: object) => {
    for (const oid of blobs) await git.readBlob({ fs, gitdir: join(dir, '.git'), oid, cache });
  };

  it('gives every loaded pack index a numeric readDepth', async () => {
    const cache = createPackCache();
    await readAll(cache);
    const depths = await packIndexDepths(cache);
    assert.ok(depths.length > 0, 'a pack index was loaded');
    for (const depth of depths) assert.ok(Number.isFinite(depth) && (depth as number) > 3, `readDepth ${String(depth)}`);
  });

  it('is still needed: a plain cache leaves readDepth NaN (drop the workaround when this fails)', async () => {
    const cache = {};
    await readAll(cache);
    const depths = await packIndexDepths(cache);
    assert.ok(depths.length > 0);
    for (const depth of depths) assert.ok(Number.isNaN(depth), `readDepth ${String(depth)}`);
  });
});
