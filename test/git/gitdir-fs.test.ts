// The in-memory answers of the gitdir fs must stay true as objects and packs are written through it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import git from 'isomorphic-git';
import { createGitdirFs } from '../../src/git/gitdir-fs.js';
import { RELEVANT_BYTES_KEPT, ScreenedBlobs } from '../../src/git/screened-blobs.js';
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

describe('gitdir fs: objects written through it', () => {
  it('reads back exactly the latest bytes written, and nothing after a removal or rename', async () => {
    const gitdir = await makeTempDir('gitdir-fs');
    try {
      await mkdir(join(gitdir, 'objects', 'ab'), { recursive: true });
      const { promises: fs } = createGitdirFs(gitdir);
      const loose = join(gitdir, 'objects', 'ab', OID.slice(2));
      const other = join(gitdir, 'objects', 'ab', 'd'.repeat(38));

      const source = Buffer.from('first');
      await fs.writeFile(loose, source);
      source.fill(0); // the caller's buffer changing later must not change what is read back
      const read = (await fs.readFile(loose)) as Buffer;
      assert.equal(String(read), 'first');
      read.fill(0); // nor a reader changing what it got
      assert.equal(String(await fs.readFile(loose)), 'first');
      assert.equal(await fs.readFile(loose, 'utf8'), 'first');
      assert.equal(await fs.readFile(loose, { encoding: 'utf8' }), 'first');

      await fs.writeFile(loose, Buffer.from('second'));
      assert.equal(String(await fs.readFile(loose)), 'second');
      assert.equal(String(await readFile(loose)), 'second', 'the disk holds what memory answers');
      await fs.writeFile(loose, 'as text'); // not kept in memory, but must not leave 'second' there
      assert.equal(String(await fs.readFile(loose)), 'as text');
      await fs.writeFile(loose, Buffer.from('second'));

      await fs.rename(loose, other);
      await assert.rejects(fs.readFile(loose), { code: 'ENOENT' });
      assert.equal(String(await fs.readFile(other)), 'second');

      await fs.writeFile(loose, Buffer.from('third'));
      await fs.unlink(loose);
      await assert.rejects(fs.readFile(loose), { code: 'ENOENT' });

      await fs.writeFile(loose, Buffer.from('fourth'));
      await fs.rm(join(gitdir, 'objects'), { recursive: true });
      await assert.rejects(fs.readFile(loose), { code: 'ENOENT' });
    } finally {
      await removeTempDir(gitdir);
    }
  });

  it('gives isomorphic-git back the objects it wrote, as git reads them from disk', async () => {
    const gitdir = await makeTempDir('gitdir-fs');
    try {
      const fs = createGitdirFs(gitdir);
      await git.init({ fs, gitdir, bare: true });
      const cache = {};
      const texts = ['a: 1\n', 'b: 2\n', 'a: 1\n'];
      const blobs = await Promise.all(texts.map((text) => git.writeBlob({ fs, gitdir, blob: Buffer.from(text) })));
      const tree = await git.writeTree({
        fs,
        gitdir,
        tree: [
          { mode: '100644', path: 'a.yaml', oid: blobs[0]!, type: 'blob' },
          { mode: '100644', path: 'b.yaml', oid: blobs[1]!, type: 'blob' },
        ],
      });
      for (const [i, oid] of blobs.entries()) {
        assert.equal(Buffer.from((await git.readBlob({ fs, gitdir, cache, oid })).blob).toString(), texts[i]);
      }
      assert.deepEqual((await git.readTree({ fs, gitdir, cache, oid: tree })).tree.map((e) => [e.path, e.oid]), [
        ['a.yaml', blobs[0]],
        ['b.yaml', blobs[1]],
      ]);
      // A fresh fs has nothing in memory: the same answers come from the files themselves.
      const fromDisk = createGitdirFs(gitdir);
      assert.equal(Buffer.from((await git.readBlob({ fs: fromDisk, gitdir, oid: blobs[1]! })).blob).toString(), texts[1]);
      assert.deepEqual(await fromDisk.promises.readFile(join(gitdir, 'objects', tree.slice(0, 2), tree.slice(2))), await fs.promises.readFile(join(gitdir, 'objects', tree.slice(0, 2), tree.slice(2))));
    } finally {
      await removeTempDir(gitdir);
    }
  });

  it('writes a loose object into a fan-out folder not made yet, and into one removed behind its back', async () => {
    const gitdir = await makeTempDir('gitdir-fs');
    try {
      const fs = createGitdirFs(gitdir);
      await git.init({ fs, gitdir, bare: true });
      const first = await git.writeBlob({ fs, gitdir, blob: Buffer.from('first\n') });
      const fanout = join(gitdir, 'objects', first.slice(0, 2));
      assert.deepEqual(await readdir(fanout), [first.slice(2)], 'the object, and no temporary file left beside it');
      // Another process (a merge of packs) empties and removes the folder; this fs still believes it is there.
      await rm(fanout, { recursive: true });
      const again = await git.writeBlob({ fs, gitdir, blob: Buffer.from('first\n') });
      assert.equal(again, first);
      assert.deepEqual(await readdir(fanout), [first.slice(2)]);
      assert.equal(execFileSync('git', ['--git-dir', gitdir, 'cat-file', 'blob', first], { encoding: 'utf8' }), 'first\n');
      // Removed through this fs, as merge-packs.ts removes emptied ones: its own write makes the folder again.
      const object = join(fanout, first.slice(2));
      const bytes = await readFile(object);
      await fs.promises.unlink(object);
      await fs.promises.rmdir(fanout);
      await fs.promises.writeFile(object, bytes);
      assert.equal(execFileSync('git', ['--git-dir', gitdir, 'cat-file', 'blob', first], { encoding: 'utf8' }), 'first\n');
    } finally {
      await removeTempDir(gitdir);
    }
  });
});

describe('screened blobs memo', () => {
  it('is kept per screen, forgets blobs no longer present after a complete listing (only then), and ignores a damaged file', async () => {
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

      // Saved after a listing that passed over folders (no ids given): nothing is forgotten.
      const c = 'c'.repeat(40);
      pruned.markIrrelevant(c);
      await pruned.save();
      const grown = await ScreenedBlobs.load(file, 'markers');
      assert.ok(grown.isIrrelevant(b) && grown.isIrrelevant(c));
      // Until it holds twice what it kept at its last pruning, and a few thousand more: then the next listing reads everything.
      assert.equal(grown.outgrown, false);
      for (let i = 0; i < 5_001; i++) grown.markIrrelevant(i.toString(16).padStart(40, '0'));
      assert.equal(grown.outgrown, true);
      await grown.save(new Set([b]));
      const prunedAgain = await ScreenedBlobs.load(file, 'markers');
      assert.equal(prunedAgain.outgrown, false);
      assert.ok(prunedAgain.isIrrelevant(b));
      assert.equal(prunedAgain.isIrrelevant(c), false);

      await writeFile(file, '{"format":1,"screen":"markers","irrelevant":["../../etc", 5');
      assert.equal((await ScreenedBlobs.load(file, 'markers')).isIrrelevant(b), false);
    } finally {
      await removeTempDir(dir);
    }
  });

  it('keeps copies of relevant blobs for its own life, up to RELEVANT_BYTES_KEPT, and never saves them', async () => {
    const dir = await makeTempDir('memo');
    try {
      const file = join(dir, 'memo.json');
      const memo = await ScreenedBlobs.load(file, 'markers');
      // isomorphic-git hands a view into a buffer it goes on using: the memo keeps its own copy.
      const shared = Buffer.from('image: app:1.0.0 # {"$imagepolicy": "app"}\n');
      memo.keepRelevant('a'.repeat(40), shared.subarray(0, 16));
      shared.fill(0);
      assert.equal(Buffer.from(memo.relevantContent('a'.repeat(40))!).toString(), 'image: app:1.0.0');
      assert.equal(memo.relevantContent('b'.repeat(40)), undefined);
      // Past the limit nothing more is kept; what was kept stays.
      memo.keepRelevant('b'.repeat(40), new Uint8Array(RELEVANT_BYTES_KEPT - 16));
      memo.keepRelevant('c'.repeat(40), new Uint8Array(1));
      assert.equal(memo.relevantContent('b'.repeat(40))?.byteLength, RELEVANT_BYTES_KEPT - 16);
      assert.equal(memo.relevantContent('c'.repeat(40)), undefined);
      memo.markIrrelevant('d'.repeat(40));
      await memo.save();
      const loaded = await ScreenedBlobs.load(file, 'markers');
      assert.equal(loaded.relevantContent('a'.repeat(40)), undefined);
      assert.doesNotMatch(await readFile(file, 'utf8'), /a{40}/);
    } finally {
      await removeTempDir(dir);
    }
  });
});
