// A commit's objects made in memory (src/git/git-objects.ts) and stored as one pack
// (src/git/write-pack.ts), checked against the git CLI: ids are the ones git gives, trees are the ones
// `git mktree` writes, the index is the one `git index-pack` writes for the same pack, byte for byte,
// and a clone whose commit was stored this way reads back whole (`git fsck --strict`) and pushes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { GitRepository } from '../../src/git/git-repository.js';
import { commitObject, commitPayload, gitObject, treeObject, type GitObject, type ObjectType } from '../../src/git/git-objects.js';
import { buildIndex, buildPack, crc32ByTable, packIndexOids } from '../../src/git/write-pack.js';
import { HUMAN_AUTHOR, withGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** The git CLI's author and committer, at `seconds` UTC. */
const identEnv = (seconds: number) => ({
  GIT_AUTHOR_NAME: 'Tag Pilot',
  GIT_AUTHOR_EMAIL: 'tagpilot@example.test',
  GIT_AUTHOR_DATE: `@${seconds} +0000`,
  GIT_COMMITTER_NAME: 'Tag Pilot',
  GIT_COMMITTER_EMAIL: 'tagpilot@example.test',
  GIT_COMMITTER_DATE: `@${seconds} +0000`,
});

/** Runs `work` with a temporary folder and an empty bare repository in it, removed afterwards. */
async function withBareRepo(work: (dir: string, repo: string) => Promise<void>): Promise<void> {
  const dir = await makeTempDir('write-pack');
  try {
    const repo = join(dir, 'repo.git');
    await runCommand('git', ['init', '--bare', '-q', repo]);
    await work(dir, repo);
  } finally {
    await removeTempDir(dir);
  }
}

const git = async (gitdir: string, args: readonly string[], input?: string | Buffer) =>
  (await runCommand('git', ['--git-dir', gitdir, ...args], { input })).stdout;

/** The loose objects of a bare repository the git CLI wrote, read from their files. */
async function looseObjects(gitdir: string): Promise<GitObject[]> {
  const objects: GitObject[] = [];
  for (const fanout of (await readdir(join(gitdir, 'objects'))).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
    for (const name of await readdir(join(gitdir, 'objects', fanout))) {
      const raw = zlib.inflateSync(await readFile(join(gitdir, 'objects', fanout, name)));
      const nul = raw.indexOf(0);
      const [type] = raw.toString('latin1', 0, nul).split(' ');
      objects.push({ oid: fanout + name, type: type as ObjectType, content: raw.subarray(nul + 1) });
    }
  }
  return objects;
}

describe('write-pack', () => {
  it('packs loose objects into a pack git reads, with the index git index-pack writes for it', async () => {
    await withBareRepo(async (dir, source) => {
      // Sizes either side of each step of the entry header's size bytes (4 bits, then 7 a byte).
      const sizes = [0, 1, 15, 16, 17, 2047, 2048, 2049, 262_143, 262_144, 300_000];
      const paths = await Promise.all(
        sizes.map(async (size, i) => {
          const path = join(dir, `blob-${i}`);
          await writeFile(path, randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size));
          return path;
        }),
      );
      const blobs = (await git(source, ['hash-object', '-w', ...paths])).trim().split('\n');
      const tree = (await git(source, ['mktree'], blobs.map((oid, i) => `100644 blob ${oid}\tblob-${i}\n`).join(''))).trim();
      const outer = (await git(source, ['mktree'], `040000 tree ${tree}\tinner\n100755 blob ${blobs[1]}\trun.sh\n`)).trim();
      const commit = (await runCommand('git', ['--git-dir', source, 'commit-tree', outer, '-m', 'packed'], { env: { ...process.env, ...identEnv(1_700_000_000) } })).stdout.trim();
      const objects = await looseObjects(source);
      assert.equal(objects.length, new Set([...blobs, tree, outer, commit]).size);
      // Each made as git made it.
      for (const object of objects) assert.equal(gitObject(object.type, object.content).oid, object.oid);

      // Each object twice: packed once.
      const built = buildPack([...objects, ...objects]);
      const packed = join(dir, 'packed.git');
      await runCommand('git', ['init', '--bare', '-q', packed]);
      const packPath = join(packed, 'objects', 'pack', `${built.name}.pack`);
      await writeFile(packPath, built.pack);
      // git's own index of our pack (it checks the pack's checksum and every object's as it goes).
      await git(packed, ['index-pack', '-o', join(dir, 'git.idx'), packPath]);
      assert.ok(built.index.equals(await readFile(join(dir, 'git.idx'))), 'the index git index-pack writes');
      assert.equal(built.name, `pack-${built.pack.subarray(-20).toString('hex')}`);
      await writeFile(join(packed, 'objects', 'pack', `${built.name}.idx`), built.index);
      await git(packed, ['verify-pack', packPath]);
      await git(packed, ['update-ref', 'refs/heads/main', commit]);
      await git(packed, ['fsck', '--strict', '--no-dangling']);
      for (const [i, oid] of blobs.entries()) assert.equal(await git(packed, ['cat-file', 'blob', oid]), await readFile(paths[i]!, 'utf8'));
    });
  });

  it('names objects as git hash-object does, and writes trees as git mktree does: every mode, names beyond ASCII, git’s order', async () => {
    await withBareRepo(async (dir, repo) => {
      const text = 'image: app:2.0.0\n';
      const blob = gitObject('blob', Buffer.from(text));
      assert.equal(blob.oid, (await git(repo, ['hash-object', '--stdin'], text)).trim());
      const inner = (await git(repo, ['mktree', '--missing'], `100644 blob ${blob.oid}\tinner.yaml\n`)).trim();
      const commit = 'c'.repeat(40);
      // Out of order, and names whose order differs as text and as a folder: "a" sorts as "a/", after "a.yaml" and "a-b".
      const entries = [
        { mode: '100644', path: 'café.yaml', oid: blob.oid, type: 'blob' },
        { mode: '100755', path: 'run.sh', oid: blob.oid, type: 'blob' },
        { mode: '120000', path: 'link', oid: blob.oid, type: 'blob' },
        { mode: '040000', path: 'a', oid: inner, type: 'tree' },
        { mode: '100644', path: 'a.yaml', oid: blob.oid, type: 'blob' },
        { mode: '100644', path: 'a-b', oid: blob.oid, type: 'blob' },
        { mode: '100644', path: 'a0', oid: blob.oid, type: 'blob' },
        { mode: '100644', path: '日本.yaml', oid: blob.oid, type: 'blob' },
        { mode: '100644', path: '\u{1F600}.yaml', oid: blob.oid, type: 'blob' },
        { mode: '100644', path: '\uFF21.yaml', oid: blob.oid, type: 'blob' },
        { mode: '160000', path: 'vendor', oid: commit, type: 'commit' },
      ];
      const listing = entries.map((e) => `${e.mode} ${e.type} ${e.oid}\t${e.path}\n`).join('');
      const theirs = (await git(repo, ['mktree', '--missing'], listing)).trim();
      const ours = treeObject(entries);
      assert.equal(ours.oid, theirs);
      await writeFile(join(dir, 'tree'), ours.content);
      assert.equal((await git(repo, ['hash-object', '-t', 'tree', join(dir, 'tree')])).trim(), theirs);
    });
  });

  it('writes commits as git commit-tree does, and a signature as the gpgsig header git verify-commit reads', async () => {
    await withBareRepo(async (dir, repo) => {
      const tree = (await git(repo, ['mktree'], '')).trim();
      const parent = (await runCommand('git', ['--git-dir', repo, 'commit-tree', tree, '-m', 'root'], { env: { ...process.env, ...identEnv(1_700_000_000) } })).stdout.trim();
      const theirs = (await runCommand('git', ['--git-dir', repo, 'commit-tree', tree, '-p', parent, '-m', 'Update app to 1.2.3\n\nBody ünïcode'], { env: { ...process.env, ...identEnv(1_700_000_100) } })).stdout.trim();
      const person = { name: 'Tag Pilot', email: 'tagpilot@example.test', timestamp: 1_700_000_100 };
      const payload = commitPayload({ tree, parents: [parent], author: person, committer: person, message: 'Update app to 1.2.3\n\nBody ünïcode' });
      assert.equal(commitObject(payload).oid, theirs);
      // The message as git stores it: no carriage returns or leading blank lines, one final newline.
      assert.match(commitPayload({ tree, parents: [], author: person, committer: person, message: '\n\nsubject\r\n\r\nbody\n\n\n' }), /\n\nsubject\n\nbody\n$/);
      assert.throws(() => commitPayload({ tree, parents: [], author: { ...person, name: 'a <b>' }, committer: person, message: 'm' }), /commit name "a <b>" holds </);

      const signature = '-----BEGIN SSH SIGNATURE-----\r\nAAAA\r\n\r\nBBBB\r\n-----END SSH SIGNATURE-----\r\n';
      const signed = commitObject(payload, signature);
      assert.equal(
        signed.content.toString('utf8'),
        payload.replace('\n\n', '\ngpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n \n BBBB\n -----END SSH SIGNATURE-----\n\n'),
      );
      // git reads the header back as the signature, as written.
      await writeFile(join(dir, 'signed'), signed.content);
      const oid = (await git(repo, ['hash-object', '-t', 'commit', '-w', join(dir, 'signed')])).trim();
      assert.equal(oid, signed.oid);
      assert.match(await git(repo, ['cat-file', '-p', oid]), /^gpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n \n BBBB\n -----END SSH SIGNATURE-----$/m);
      await git(repo, ['fsck', '--strict', '--no-dangling']);
    });
  });

  it('writes offsets past 2 GiB to the table of 64-bit offsets, as git show-index reads them', async () => {
    const entries = [
      { oid: Buffer.alloc(20, 0x11), offset: 12, crc: 1 },
      { oid: Buffer.alloc(20, 0x33), offset: 0x80000000, crc: 2 },
      { oid: Buffer.alloc(20, 0x22), offset: 0x7fffffff, crc: 3 },
      { oid: Buffer.alloc(20, 0xee), offset: 5 * 2 ** 32 + 7, crc: 4 },
    ];
    const shown = (await runCommand('git', ['show-index'], { input: buildIndex(entries, Buffer.alloc(20, 0xab)) })).stdout;
    const expected = [...entries]
      .sort((a, b) => Buffer.compare(a.oid, b.oid))
      .map(({ oid, offset, crc }) => `${offset} ${oid.toString('hex')} (${crc.toString(16).padStart(8, '0')})`);
    assert.deepEqual(shown.trim().split('\n'), expected);
  });

  it('computes CRC-32 as zlib does where zlib.crc32 is missing (Node 22.0 and 22.1)', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('123456789'), randomBytes(4096)]) {
      assert.equal(crc32ByTable(data), zlib.crc32(data));
    }
    assert.equal(crc32ByTable(Buffer.from('123456789')), 0xcbf43926);
  });

  it('stores a commit written through GitRepository as one pack, no loose objects, and pushes it', async () => {
    await withGitServer('write-pack', async (server, dir) => {
      const url = await server.createRepo('fleet', { 'a/app.yaml': 'image: app:1\n', 'b/other.yaml': 'image: other:1\n', 'README.md': 'fleet\n' });
      const gitdir = join(dir, 'clone');
      const repo = new GitRepository(gitdir, url);
      const { head } = await repo.fetchHead('main');
      const packDir = join(gitdir, 'objects', 'pack');
      const before = new Set(await readdir(packDir));
      const commit = await repo.writeCommit(head, new Map([['a/app.yaml', 'image: app:2\n']]), 'move app', HUMAN_AUTHOR);
      const added = (await readdir(packDir)).filter((name) => !before.has(name)).sort();
      assert.equal(added.length, 2, `a pack and its index: ${added.join(', ')}`);
      assert.deepEqual((await readdir(join(gitdir, 'objects'))).filter((name) => /^[0-9a-f]{2}$/.test(name)), [], 'no loose objects');
      // The new blob, the two trees above it and the commit.
      assert.equal(packIndexOids(await readFile(join(packDir, added[0]!))).length, 4);
      await git(gitdir, ['update-ref', 'refs/heads/written', commit]);
      await git(gitdir, ['fsck', '--strict', '--no-dangling']);
      assert.equal(await git(gitdir, ['show', `${commit}:a/app.yaml`]), 'image: app:2\n');
      assert.equal((await repo.push(commit, 'main')).outcome, 'pushed');
      assert.equal(await server.readFile('fleet', 'main', 'a/app.yaml'), 'image: app:2\n');
      // A later instance (the next process) reads the commit from the pack.
      const again = new GitRepository(gitdir, url);
      assert.equal((await again.readCommit(commit))?.message, 'move app\n');
    });
  });
});
