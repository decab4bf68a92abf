// The in-memory answers of the gitdir fs must stay true as objects and packs are written through it.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createGitdirFs } from '../../src/git/gitdir-fs.js';
import { ScreenedBlobs } from '../../src/git/screened-blobs.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const OID = 'ab' + 'c'.repeat(38);

describe('gitdir fs', () => {
  it('answers loose-object misses and the pack listing from memory, and sees its own writes', async () => {
    const gitdir = await makeTempDir('gitdir-fs');
    try {
      await mkdir(join(gitdir, 'objects', 'pack'), { recursive: true });
      const { promises: fs } = createGitdirFs(gitdir);
      // isomorphic-git tells a promise fs from a callback one by calling readFile() without a path.
      await assert.rejects(fs.readFile(undefined as never), TypeError);
      const loose = join(gitdir, 'objects', 'ab', OID.slice(2));
      await assert.rejects(fs.readFile(loose), { code: 'ENOENT' });
      assert.deepEqual(await fs.readdir(join(gitdir, 'objects', 'pack')), []);

      // Written behind its back: the memory wins (which is why only tagpilot may write the gitdir)...
      await mkdir(join(gitdir, 'objects', 'ab'));
      await writeFile(loose, 'behind its back');
      await assert.rejects(fs.readFile(loose), { code: 'ENOENT' });
      // ...and written through it: seen at once, and written whole (no temp file left over).
      await fs.writeFile(loose, 'object');
      assert.equal(String(await fs.readFile(loose)), 'object');
      await fs.writeFile(join(gitdir, 'objects', 'pack', 'pack-1.idx'), 'idx');
      assert.deepEqual(await fs.readdir(join(gitdir, 'objects', 'pack')), ['pack-1.idx']);
      assert.deepEqual(await readdir(join(gitdir, 'objects', 'ab')), [OID.slice(2)]);

      await fs.rm(join(gitdir, 'objects'), { recursive: true });
      await assert.rejects(fs.readFile(loose), { code: 'ENOENT' });
    } finally {
      await removeTempDir(gitdir);
    }
  });
});

describe('screened blobs memo', () => {
  it('is kept per screen, forgets blobs no longer present, and ignores a damaged file', async () => {
    const dir = await makeTempDir('memo');
    try {
      const file = join(dir, 'memo.json');
      const a = 'a'.repeat(40);
      const b = 'b'.repeat(40);
      const memo = await ScreenedBlobs.load(file, 'markers');
      memo.markIrrelevant(a);
      memo.markIrrelevant(b);
      await memo.save(new Set([a, b]));
      assert.ok((await ScreenedBlobs.load(file, 'markers')).isIrrelevant(a));
      assert.equal((await ScreenedBlobs.load(file, 'auto ["app"]')).isIrrelevant(a), false, 'another screen starts empty');

      const again = await ScreenedBlobs.load(file, 'markers');
      await again.save(new Set([b]));
      const pruned = await ScreenedBlobs.load(file, 'markers');
      assert.equal(pruned.isIrrelevant(a), false);
      assert.ok(pruned.isIrrelevant(b));

      await writeFile(file, '{"format":1,"screen":"markers","irrelevant":["../../etc", 5');
      assert.equal((await ScreenedBlobs.load(file, 'markers')).isIrrelevant(b), false);
    } finally {
      await removeTempDir(dir);
    }
  });
});
