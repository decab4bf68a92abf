// Our pack writer and indexer against the git CLI: git must read what we write, and we must read
// what git writes (deltas included), with byte-identical indexes.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeCommit, encodeTree, objectId, type GitObject } from '../../src/git/git-object.js';
import { applyDelta, crc32, encodePack, indexPack } from '../../src/git/pack-file.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'a',
  GIT_AUTHOR_EMAIL: 'a@example.test',
  GIT_COMMITTER_NAME: 'a',
  GIT_COMMITTER_EMAIL: 'a@example.test',
};
const git = async (cwd: string, ...args: string[]) => (await runCommand('git', args, { cwd, env })).stdout;

describe('pack files', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('pack-file');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('writes a pack and index that git index-pack reproduces byte for byte', async () => {
    const blob: GitObject = { type: 'blob', content: Buffer.from('image: app:1.2.3\n') };
    const big: GitObject = { type: 'blob', content: Buffer.alloc(70_000, 'x') };
    const tree: GitObject = {
      type: 'tree',
      content: encodeTree([
        { mode: '100644', path: 'b.yaml', oid: objectId(blob), type: 'blob' },
        { mode: '100644', path: 'big', oid: objectId(big), type: 'blob' },
      ]),
    };
    const person = { name: 'tagpilot', email: 't@example.test', timestamp: 1_700_000_000, timezoneOffset: 0 };
    const commit: GitObject = { type: 'commit', content: encodeCommit({ tree: objectId(tree), parents: [], author: person, committer: person, message: 'm' }) };
    const pack = encodePack([blob, big, tree, commit]);
    const { index, objects } = indexPack(pack);
    assert.deepEqual(objects.map((o) => o.oid), [blob, big, tree, commit].map(objectId));

    await writeFile(join(dir, 'ours.pack'), pack);
    await git(dir, 'index-pack', '-o', join(dir, 'theirs.idx'), join(dir, 'ours.pack'));
    assert.ok(index.equals(await readFile(join(dir, 'theirs.idx'))), 'our .idx differs from git index-pack');
  });

  it('reads a pack git wrote with ofs and ref deltas, resolving every object', async () => {
    const repo = join(dir, 'repo');
    await git(dir, 'init', '--quiet', repo);
    for (let i = 0; i < 12; i++) {
      const text = Array.from({ length: 200 }, (_, line) => `line ${line} ${line === i ? 'changed' : 'same'}\n`).join('');
      await writeFile(join(repo, 'file.txt'), text);
      await git(repo, 'add', '.');
      await git(repo, 'commit', '--quiet', '-m', `c${i}`);
    }
    const revs = await git(repo, 'rev-list', '--objects', 'HEAD');
    for (const [flag, name] of [['--delta-base-offset', 'ofs'], ['', 'ref']] as const) {
      const args = ['pack-objects', '--quiet', '--window=10', ...(flag ? [flag] : []), join(dir, name)];
      const sha = (await runCommand('git', args, { cwd: repo, env, input: revs })).stdout.trim();
      const pack = await readFile(join(dir, `${name}-${sha}.pack`));
      const { index, objects } = indexPack(pack);
      const verify = await git(repo, 'verify-pack', '-v', join(dir, `${name}-${sha}.idx`));
      assert.match(verify, /chain length = [1-9]/, `git made no deltas for ${name}`);
      assert.ok(index.equals(await readFile(join(dir, `${name}-${sha}.idx`))), `${name}: .idx differs from git's`);
      const expected = revs.split('\n').filter(Boolean).map((l) => l.slice(0, 40)).sort();
      assert.deepEqual(objects.map((o) => o.oid).sort(), expected);
    }
    assert.ok((await readdir(dir)).length > 0);
  });

  it('refuses a damaged pack', () => {
    const pack = encodePack([{ type: 'blob', content: Buffer.from('x') }]);
    pack[14] = (pack[14] ?? 0) ^ 0xff;
    assert.throws(() => indexPack(pack), /checksum mismatch/);
  });

  it('applies copy and insert delta instructions, and checks sizes', () => {
    const base = Buffer.from('hello world');
    // size 11 → 9: copy offset 6 length 5 ("world"), insert "!!!!"
    const delta = Buffer.from([11, 9, 0x91, 6, 5, 4, 0x21, 0x21, 0x21, 0x21]);
    assert.equal(applyDelta(base, delta).toString(), 'world!!!!');
    assert.throws(() => applyDelta(Buffer.from('short'), delta), /does not fit/);
  });

  it('computes CRC-32 like zlib', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });
});
