// patches/isomorphic-git+1.44.11.patch swaps isomorphic-git's Node build onto Node's zlib and
// SHA-1, fixes slow paths and two wrong ones in indexing a pack, skips a fetch's request when there
// is nothing to bring, and adds the onIndexedObject hook and push's `objects` and `packfile` (patches/README.md).
// These check that npm applied it, and that what the patched code writes, reads and reports is
// exactly what git has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import zlib, { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const gitCli = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' });

/** What these tests look at in isomorphic-git's GitPackIndex. */
interface PackIndex {
  readDepth?: number;
  offsetCache?: Record<string, unknown>;
}

/** The objects `git rev-list --objects ...revs` names, as `git cat-file --batch` prints them: oid → type and content. */
function objectsOf(gitdir: string, ...revs: string[]): Map<string, { type: string; content: Buffer }> {
  const list = execFileSync('git', ['--git-dir', gitdir, 'rev-list', '--objects', ...revs], { encoding: 'utf8' });
  const oids = list.split('\n').filter(Boolean).map((line) => line.slice(0, 40));
  const out = execFileSync('git', ['--git-dir', gitdir, 'cat-file', '--batch'], { input: `${oids.join('\n')}\n`, maxBuffer: 64 * 1024 * 1024 });
  const objects = new Map<string, { type: string; content: Buffer }>();
  for (let at = 0; at < out.length; ) {
    const eol = out.indexOf(0x0a, at);
    const [oid, type, size] = out.subarray(at, eol).toString('utf8').split(' ');
    const start = eol + 1;
    objects.set(oid!, { type: type!, content: out.subarray(start, start + Number(size)) });
    at = start + Number(size) + 1;
  }
  return objects;
}

/** The pack indexes isomorphic-git holds in a `cache` object, as it stores them (promises). */
async function loadedPackIndexes(cache: object): Promise<PackIndex[]> {
  const indexes: PackIndex[] = [];
  for (const key of Object.getOwnPropertySymbols(cache)) {
    const map = (cache as Record<symbol, unknown>)[key];
    if (map instanceof Map) for (const promise of map.values()) indexes.push((await promise) as PackIndex);
  }
  return indexes;
}

describe('isomorphic-git patch', () => {
  let dir: string;
  let gitdir: string;
  let blobs: string[];
  before(async () => {
    dir = await makeTempDir('iso-patch');
    gitdir = join(dir, '.git');
    gitCli(dir, 'init', '-q', '-b', 'main');
    // Similar files over several commits and folders, so the pack holds deltas on deltas.
    for (let commit = 0; commit < 6; commit++) {
      for (let folder = 0; folder < 4; folder++) {
        fs.mkdirSync(join(dir, `team-${folder}`), { recursive: true });
        for (let i = 0; i < 25; i++) {
          fs.writeFileSync(join(dir, `team-${folder}`, `svc-${i}.yaml`), `image: app:1.0.${commit} # ${'x'.repeat(300)} ${folder}-${i}\n`);
        }
      }
      // Larger than the buffer objectId hashes small objects in (64 KiB): hashed in one of its own.
      fs.writeFileSync(join(dir, 'bundle.txt'), `${commit}\n${'generated line\n'.repeat(6_000)}`);
      gitCli(dir, 'add', '.');
      gitCli(dir, 'commit', '-qm', `c${commit}`);
    }
    gitCli(dir, 'gc', '-q', '--aggressive');
    blobs = gitCli(dir, 'rev-list', '--objects', '--all')
      .split('\n')
      .filter((line) => line.includes('.yaml'))
      .map((line) => line.split(' ')[0]!);
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('is applied to the isomorphic-git that Node loads', () => {
    const entry = createRequire(import.meta.url).resolve('isomorphic-git');
    const source = fs.readFileSync(entry, 'utf8');
    assert.match(source, /tagpilot patch/, `${entry} is unpatched: run npm ci (its postinstall applies patches/)`);
  });

  it('loads none of the libraries the patch replaced with Node\'s own (pako, sha.js, crc-32)', () => {
    const script = `require('isomorphic-git'); console.log(JSON.stringify(Object.keys(require.cache)))`;
    const loaded: string[] = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    assert.ok(loaded.some((path) => path.includes('isomorphic-git')), 'isomorphic-git was loaded');
    assert.deepEqual(loaded.filter((path) => /node_modules[\\/](pako|sha\.js|crc-32)[\\/]/.test(path)), []);
  });

  // With and without zlib.crc32 (Node 22.0 and 22.1 lack it; crc-32 stands in there).
  for (const crc of ['zlib.crc32', 'crc-32'] as const) {
    it(`indexes a pack exactly as git index-pack does (CRCs from ${crc})`, async () => {
      const [pack] = fs.readdirSync(join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
      assert.ok(pack, 'git gc wrote a pack');
      const copy = join(dir, `copy-${crc}`);
      fs.mkdirSync(copy);
      fs.copyFileSync(join(gitdir, 'objects', 'pack', pack), join(copy, pack));
      const native = zlib.crc32;
      if (crc === 'crc-32') Object.assign(zlib, { crc32: undefined });
      try {
        const { oids } = await git.indexPack({ fs, dir: copy, gitdir: copy, filepath: pack });
        assert.ok(oids.length > blobs.length, 'every object was indexed');
      } finally {
        Object.assign(zlib, { crc32: native });
      }
      const ours = fs.readFileSync(join(copy, pack.replace(/\.pack$/, '.idx')));
      const theirsPath = join(dir, `theirs-${crc}.idx`);
      execFileSync('git', ['index-pack', '-o', theirsPath, join(copy, pack)]);
      const theirs = fs.readFileSync(theirsPath);
      assert.ok(ours.equals(theirs), 'the .idx isomorphic-git wrote differs from git index-pack\'s');
    });
  }

  it('refuses a damaged pack (bad signature, cut short, corrupt deflate stream) instead of indexing it', async () => {
    const [pack] = fs.readdirSync(join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
    const bytes = fs.readFileSync(join(gitdir, 'objects', 'pack', pack!));
    const damaged = join(dir, 'damaged');
    fs.mkdirSync(damaged);
    const corrupt = Buffer.from(bytes);
    // The first object's deflate stream starts right after its header; garbage there is no zlib header.
    corrupt.fill(0xff, 14, 40);
    const cases: [string, Buffer, RegExp][] = [
      ['signature', Buffer.concat([Buffer.from('KCAP'), bytes.subarray(4)]), /Invalid PACK header/],
      ['cut short', bytes.subarray(0, Math.floor(bytes.length / 2)), /zlib error|Inflated object size/],
      ['deflate', corrupt, /zlib error|Inflated object size/],
    ];
    for (const [name, content, error] of cases) {
      const file = `pack-${name.replace(' ', '-')}.pack`;
      fs.writeFileSync(join(damaged, file), content);
      await assert.rejects(git.indexPack({ fs, dir: damaged, gitdir: damaged, filepath: file }), error, name);
      assert.equal(fs.existsSync(join(damaged, file.replace(/\.pack$/, '.idx'))), false, `${name}: no index written`);
    }
    // Objects are inflated by one zlib context, reset for each: after the failures above, a sound
    // pack still indexes as git's does.
    const intact = join(damaged, pack!);
    fs.writeFileSync(intact, bytes);
    await git.indexPack({ fs, dir: damaged, gitdir: damaged, filepath: pack! });
    const theirs = join(dir, 'after-damaged.idx');
    execFileSync('git', ['index-pack', '-o', theirs, intact]);
    assert.ok(fs.readFileSync(intact.replace(/\.pack$/, '.idx')).equals(fs.readFileSync(theirs)), 'the .idx written after a failure differs from git index-pack\'s');
  });

  it('refuses a packed object whose deflate stream is corrupt, and reads the others', async () => {
    const copy = join(dir, 'corrupt-object.git');
    execFileSync('git', ['clone', '-q', '--bare', '--no-local', dir, copy]);
    const [pack] = fs.readdirSync(join(copy, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
    const packPath = join(copy, 'objects', 'pack', pack!);
    // `git verify-pack -v`: oid, type, size, size in the pack, offset, and for a delta its depth and base.
    const listed = execFileSync('git', ['verify-pack', '-v', packPath.replace(/\.pack$/, '.idx')], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.split(/\s+/))
      .filter(([oid, type, , , , depth]) => /^[0-9a-f]{40}$/.test(oid!) && depth === undefined && type !== undefined);
    const victim = listed.find(([, type]) => type === 'blob');
    const other = listed.find(([oid, type]) => type === 'tree' && oid !== victim?.[0]);
    assert.ok(victim && other, 'the pack holds a whole (undeltified) blob and tree');
    const [oid, , , packed, offset] = victim;
    const packBytes = fs.readFileSync(packPath);
    // Past the object's header (2 or 3 bytes at these sizes): its deflate stream.
    packBytes.fill(0xff, Number(offset) + 4, Number(offset) + Number(packed) - 4);
    // The checksums made again (the pack's trailer, and the .idx's copy of it and its own), so that
    // only the object is damaged: isomorphic-git checks the pack's when it first loads it.
    const sha1 = (bytes: Buffer): Buffer => createHash('sha1').update(bytes).digest();
    sha1(packBytes.subarray(0, -20)).copy(packBytes, packBytes.length - 20);
    const idxPath = packPath.replace(/\.pack$/, '.idx');
    const idxBytes = fs.readFileSync(idxPath);
    packBytes.copy(idxBytes, idxBytes.length - 40, packBytes.length - 20);
    sha1(idxBytes.subarray(0, -20)).copy(idxBytes, idxBytes.length - 20);
    for (const [path, bytes] of [[packPath, packBytes], [idxPath, idxBytes]] as const) {
      fs.chmodSync(path, 0o644);
      fs.writeFileSync(path, bytes);
    }
    const cache = {};
    await assert.rejects(git.readBlob({ fs, gitdir: copy, oid: oid!, cache }), /zlib|[Dd]ecompress|length/);
    const { object } = await git.readObject({ fs, gitdir: copy, oid: other[0]!, cache, format: 'content' });
    assert.ok(Buffer.from(object as Uint8Array).equals(execFileSync('git', ['--git-dir', copy, 'cat-file', 'tree', other[0]!])));
  });

  it('writes a pack git accepts: objects and trailing SHA-1 checksum', async () => {
    const oids = blobs.slice(0, 20);
    const { filename, packfile } = await git.packObjects({ fs, gitdir, oids });
    assert.ok(packfile, 'the pack was returned');
    const path = join(dir, filename);
    fs.writeFileSync(path, packfile);
    // index-pack checks the trailer against the SHA-1 of everything before it.
    execFileSync('git', ['index-pack', path]);
    const listed = execFileSync('git', ['verify-pack', '-v', path.replace(/\.pack$/, '.idx')], { encoding: 'utf8' });
    for (const oid of oids) assert.match(listed, new RegExp(`^${oid} blob`, 'm'));
  });

  it('reads deltified objects through the delta cache (readDepth set on indexes loaded from .idx)', async () => {
    const cache = {};
    // What git reads for each blob, asked in one `git cat-file --batch` rather than a process per blob.
    const expected = objectsOf(gitdir, '--all');
    for (const oid of blobs) {
      const { blob } = await git.readBlob({ fs, gitdir, oid, cache });
      assert.equal(Buffer.from(blob).toString('utf8'), expected.get(oid)?.content.toString('utf8'));
    }
    const indexes = await loadedPackIndexes(cache);
    assert.ok(indexes.length > 0, 'a pack index was loaded');
    for (const index of indexes) {
      assert.ok(Number.isFinite(index.readDepth), `readDepth ${String(index.readDepth)}`);
      // Depth is counted per object read: only bases deep in a chain are kept, not everything read.
      const cached = Object.keys(index.offsetCache ?? {}).length;
      assert.ok(cached < blobs.length / 2, `${cached} of ${blobs.length} objects kept in the delta cache`);
    }
  });

  it('finds objects through an index read from .idx as git show-index lists it, and only those', async () => {
    const [idx] = fs.readdirSync(join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.idx'));
    const listed = execFileSync('git', ['show-index'], { input: fs.readFileSync(join(gitdir, 'objects', 'pack', idx!)), encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[1]!);
    const cache = {};
    for (const oid of listed) {
      const { oid: read } = await git.readObject({ fs, gitdir, oid, cache, format: 'content' });
      assert.equal(read, oid);
    }
    // Every first byte, both ends of each fan-out bucket: a prefix names exactly the oids git lists with it.
    for (const oid of [listed[0]!, listed[listed.length - 1]!, ...listed.filter((_, i) => i % 37 === 0)]) {
      assert.equal(await git.expandOid({ fs, gitdir, oid: oid.slice(0, 7), cache }), oid);
    }
    const absent = (BigInt(`0x${listed[0]!}`) + 1n).toString(16).padStart(40, '0');
    assert.ok(!listed.includes(absent));
    await assert.rejects(git.readObject({ fs, gitdir, oid: absent, cache }), (err: Error) => err.name === 'NotFoundError');
  });

  it('starts loading every pack index of the folder at once, and still looks in them in order', async () => {
    const packed = join(dir, 'many-packs.git');
    execFileSync('git', ['init', '--bare', '-q', packed]);
    const packDir = join(packed, 'objects', 'pack');
    // Six packs of one blob each. isomorphic-git looks in them in the order of their names.
    const blobs: string[] = [];
    for (let i = 0; i < 6; i++) {
      const oid = execFileSync('git', ['--git-dir', packed, 'hash-object', '-w', '--stdin'], { input: `pack ${i}\n`, encoding: 'utf8' }).trim();
      execFileSync('git', ['--git-dir', packed, 'pack-objects', '-q', join(packDir, 'pack')], { input: `${oid}\n` });
      blobs.push(oid);
    }
    execFileSync('git', ['--git-dir', packed, 'prune-packed']);
    const last = fs.readdirSync(packDir).filter((name) => name.endsWith('.idx')).sort().at(-1)!;
    const inLast = execFileSync('git', ['show-index'], { input: fs.readFileSync(join(packDir, last)), encoding: 'utf8' }).split(' ')[1]!;
    let reading = 0;
    let mostAtOnce = 0;
    const countingFs = {
      promises: {
        ...fs.promises,
        readFile: async (path: string, options?: unknown) => {
          if (typeof path !== 'string' || !path.endsWith('.idx')) return fs.promises.readFile(path as never, options as never);
          mostAtOnce = Math.max(mostAtOnce, ++reading);
          try {
            return await fs.promises.readFile(path, options as never);
          } finally {
            reading--;
          }
        },
      },
    };
    const read = (oid: string) => git.readBlob({ fs: countingFs, gitdir: packed, oid, cache: {} });
    assert.equal(Buffer.from((await read(inLast)).blob).toString(), `pack ${blobs.indexOf(inLast)}\n`);
    assert.equal(mostAtOnce, 6, 'the six indexes read at once, not one after another');
    // An index that will not load is met where the loop reaches it: named after every other, it is
    // never used; named before them, the read fails as it always did.
    fs.writeFileSync(join(packDir, `pack-${'f'.repeat(40)}.idx`), 'not an index');
    assert.equal(Buffer.from((await read(blobs[0]!)).blob).toString(), 'pack 0\n');
    fs.writeFileSync(join(packDir, `pack-${'0'.repeat(40)}.idx`), 'not an index');
    await assert.rejects(read(blobs[0]!));
  });

  it('writes loose objects git reads back, and reads the ones git wrote', async () => {
    const text = 'image: app:2.0.0 # written by isomorphic-git\n';
    const oid = await git.writeBlob({ fs, gitdir, blob: Buffer.from(text) });
    assert.equal(oid, execFileSync('git', ['hash-object', '--stdin'], { input: text, encoding: 'utf8' }).trim());
    assert.equal(gitCli(dir, 'cat-file', 'blob', oid), text);
    gitCli(dir, 'fsck', '--strict', '--no-dangling');

    const theirs = execFileSync('git', ['-C', dir, 'hash-object', '-w', '--stdin'], { input: 'written by git\n', encoding: 'utf8' }).trim();
    const { blob } = await git.readBlob({ fs, gitdir, oid: theirs });
    assert.equal(Buffer.from(blob).toString('utf8'), 'written by git\n');
  });

  it('reads tree entries with plain names as they are, and still refuses the names git refuses', async () => {
    const blob = execFileSync('git', ['-C', dir, 'hash-object', '-w', '--stdin'], { input: 'x\n', encoding: 'utf8' }).trim();
    const treeOf = (name: string): string => {
      const raw = Buffer.concat([Buffer.from(`100644 ${name}\0`, 'utf8'), Buffer.from(blob, 'hex')]);
      return execFileSync('git', ['-C', dir, 'hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], { input: raw, encoding: 'utf8' }).trim();
    };
    for (const name of ['svc-000.yaml', 'Kustomization', '_x.yml', '-y', 'a.git', 'git', 'v1.2.3']) {
      const { tree } = await git.readTree({ fs, gitdir, oid: treeOf(name) });
      assert.deepEqual(tree, [{ mode: '100644', path: name, oid: blob, type: 'blob' }], name);
    }
    for (const name of ['.git', '.GIT', '.git.', '.git ', 'git~1', 'GIT~2', '.git::$INDEX_ALLOCATION', '.g\u200Cit', '..', 'a\\b']) {
      await assert.rejects(git.readTree({ fs, gitdir, oid: treeOf(name) }), (err: Error) => err.name === 'UnsafeFilepathError', JSON.stringify(name));
    }
  });

  it('refuses a corrupt loose object instead of returning garbage', async () => {
    const oid = 'ab'.repeat(20);
    fs.mkdirSync(join(gitdir, 'objects', 'ab'), { recursive: true });
    const deflated = deflateSync(Buffer.from('blob 5\0hello'));
    fs.writeFileSync(join(gitdir, 'objects', 'ab', oid.slice(2)), deflated.subarray(0, deflated.length - 6));
    await assert.rejects(git.readBlob({ fs, gitdir, oid }));
  });

  describe('onIndexedObject, over a real git server', () => {
    let server: TestGitServer;
    let url: string;
    let clone: string;
    const seen = new Map<string, { type: string; content: Buffer }>();
    const record = ({ oid, type, object }: { oid: string; type: string; object: Uint8Array }) => {
      assert.ok(!seen.has(oid), `${oid} reported twice`);
      seen.set(oid, { type, content: Buffer.from(object) });
    };
    before(async () => {
      server = await startGitServer();
      url = await server.createRepo('hook', { 'README.md': 'hook\n' });
      // Not gitCli: a synchronous git would block the event loop the server answers it on.
      await runCommand('git', ['-C', dir, 'push', '-q', '--force', url, 'main']);
      clone = join(dir, 'hook-clone');
    });
    after(async () => {
      await server?.stop();
    });

    it('reports every object of a cloned pack once, with the content git has', async () => {
      await git.clone({ fs, http, dir: clone, gitdir: clone, url, ref: 'main', singleBranch: true, noCheckout: true, noTags: true, onIndexedObject: record });
      const expected = objectsOf(server.repoPath('hook'), 'main');
      assert.deepEqual([...seen.keys()].sort(), [...expected.keys()].sort());
      for (const [oid, { type, content }] of expected) {
        assert.equal(seen.get(oid)!.type, type, oid);
        assert.ok(seen.get(oid)!.content.equals(content), `${oid}: content differs from git cat-file`);
      }
    });

    it('reports what a fetch into the clone brings, and nothing it had', async () => {
      const oldHead = await git.resolveRef({ fs, gitdir: clone, ref: 'main' });
      seen.clear();
      // A human edits 25 files; the fetch must report their new blobs, not the clone's old ones.
      const work = join(dir, 'hook-work');
      await runCommand('git', ['clone', '-q', url, work]);
      for (let i = 0; i < 25; i++) fs.appendFileSync(join(work, 'team-1', `svc-${i}.yaml`), `# edited ${i}\n`);
      gitCli(work, 'commit', '-qam', 'edit');
      await runCommand('git', ['-C', work, 'push', '-q', 'origin', 'main']);
      await git.fetch({ fs, http, gitdir: clone, url, ref: 'main', singleBranch: true, tags: false, onIndexedObject: record });
      const expected = [...objectsOf(server.repoPath('hook'), 'main', `^${oldHead}`)];
      assert.equal(expected.length, 25 + 2 + 1, '25 blobs, 2 trees and a commit are new');
      assert.deepEqual([...seen.keys()].sort(), expected.map(([oid]) => oid).sort());
      for (const [oid, { content }] of expected) assert.ok(seen.get(oid)!.content.equals(content), `${oid}: content differs from git cat-file`);
    });

    /** A commit on `head`, written loose into the clone, that adds one file: its blob, tree and commit ids. */
    async function commitAddingFile(head: string, path: string, text: string, timestamp: number) {
      const { commit: parent } = await git.readCommit({ fs, gitdir: clone, oid: head });
      const blob = await git.writeBlob({ fs, gitdir: clone, blob: Buffer.from(text) });
      const { tree: entries } = await git.readTree({ fs, gitdir: clone, oid: parent.tree });
      const tree = await git.writeTree({ fs, gitdir: clone, tree: [...entries, { mode: '100644', path, oid: blob, type: 'blob' }] });
      const author = { name: 't', email: 't@example.test', timestamp, timezoneOffset: 0 };
      const commit = await git.writeCommit({ fs, gitdir: clone, commit: { message: `${path}\n`, tree, parent: [head], author, committer: author } });
      return { blob, tree, commit };
    }

    it('push sends the objects it is told to send (`objects`), without walking for them', async () => {
      const head = await git.resolveRef({ fs, gitdir: clone, ref: 'refs/remotes/origin/main' });
      const { blob, tree, commit } = await commitAddingFile(head, 'NAMED.md', 'pushed by name\n', 1_700_000_000);
      const push = (objects: string[]) => git.push({ fs, http, gitdir: clone, url, ref: commit, remoteRef: 'refs/heads/main', objects });
      const serverHead = () => execFileSync('git', ['--git-dir', server.repoPath('hook'), 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
      // Named too few, the pack lacks the blob (a walk would have found it) and the server refuses the update.
      await assert.rejects(push([commit, tree]));
      assert.equal(serverHead(), head);
      await push([blob, tree, commit]);
      assert.equal(serverHead(), commit);
      execFileSync('git', ['--git-dir', server.repoPath('hook'), 'fsck', '--strict', '--no-dangling']);
    });

    it('push sends the pack it is given (`packfile`) as it is, instead of packing the objects again', async () => {
      const serverHead = () => execFileSync('git', ['--git-dir', server.repoPath('hook'), 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
      const head = serverHead();
      const { blob, tree, commit } = await commitAddingFile(head, 'GIVEN.md', 'pushed in a given pack\n', 1_700_000_100);
      // One object more than `objects` names: only a pack sent as it is brings it to the server.
      const extra = await git.writeBlob({ fs, gitdir: clone, blob: Buffer.from('only in the given pack\n') });
      const packfile = execFileSync('git', ['--git-dir', clone, 'pack-objects', '--stdout', '-q'], { input: [blob, tree, commit, extra].join('\n') + '\n' });
      await git.push({ fs, http, gitdir: clone, url, ref: commit, remoteRef: 'refs/heads/main', objects: [blob, tree, commit], packfile });
      assert.equal(serverHead(), commit);
      assert.equal(execFileSync('git', ['--git-dir', server.repoPath('hook'), 'cat-file', 'blob', extra], { encoding: 'utf8' }), 'only in the given pack\n');
      execFileSync('git', ['--git-dir', server.repoPath('hook'), 'fsck', '--strict', '--no-dangling']);
    });

    it('a fetch whose branch is where the clone has it asks for no pack, as git fetch does; a deepening one still asks', async () => {
      const packsAsked = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/hook.git/git-upload-pack').length;
      const serverHead = execFileSync('git', ['--git-dir', server.repoPath('hook'), 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
      const fetchMain = (gitdir: string, extra: { depth?: number; relative?: boolean } = {}) =>
        git.fetch({ fs, http, gitdir, url, ref: 'main', singleBranch: true, tags: false, ...extra });
      // The clone's own main is behind the server's (the push above went from a commit on no branch): asked.
      const before = packsAsked();
      assert.equal((await fetchMain(clone)).fetchHead, serverHead);
      assert.equal(packsAsked(), before + 1);
      await git.writeRef({ fs, gitdir: clone, ref: 'refs/heads/main', value: serverHead, force: true });
      // Now it is where the server's is: nothing to ask for, and the result and refs are a fetch's.
      const quick = await fetchMain(clone);
      assert.equal(packsAsked(), before + 1, 'no pack asked for');
      assert.equal(quick.fetchHead, serverHead);
      assert.equal(quick.defaultBranch, 'refs/heads/main');
      assert.equal(gitCli(clone, 'rev-parse', 'refs/remotes/origin/main').trim(), serverHead);
      gitCli(clone, 'fsck', '--strict', '--no-dangling');

      // A one-commit clone deepened by one more, its head unchanged: the server is asked, and the parent arrives.
      const shallow = join(dir, 'hook-shallow');
      await git.clone({ fs, http, dir: shallow, gitdir: shallow, url, ref: 'main', singleBranch: true, depth: 1, noCheckout: true, noTags: true });
      const { commit } = await git.readCommit({ fs, gitdir: shallow, oid: serverHead });
      await assert.rejects(git.readCommit({ fs, gitdir: shallow, oid: commit.parent[0]! }));
      const asked = packsAsked();
      await fetchMain(shallow, { depth: 1, relative: true });
      assert.equal(packsAsked(), asked + 1);
      assert.equal((await git.readCommit({ fs, gitdir: shallow, oid: commit.parent[0]! })).oid, commit.parent[0]);
    });
  });

  // A delta can come before its base in a pack (git's own index-pack takes it), and indexing reads
  // such a delta after the rest, as it does one whose base left its cache of inflated objects (a
  // pack of more than 32 MB). Git's servers put bases first, so this pack is made here and handed
  // to a clone by an HTTP client that answers as a smart server would.
  it('onIndexedObject sees a delta that precedes its base in the pack', async () => {
    const objectId = (type: string, content: Buffer) => createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest();
    const base = Buffer.from('image: registry.example/app:1.0.0\n'.repeat(40));
    const target = Buffer.concat([base, Buffer.from('# one line more\n')]);
    const [baseId, targetId] = [objectId('blob', base), objectId('blob', target)];
    const tree = Buffer.concat([Buffer.from('100644 a.yaml\0'), baseId, Buffer.from('100644 b.yaml\0'), targetId]);
    const treeId = objectId('tree', tree);
    const commit = Buffer.from(`tree ${treeId.toString('hex')}\nauthor t <t@example.test> 1700000000 +0000\ncommitter t <t@example.test> 1700000000 +0000\n\ndelta first\n`);
    const commitId = objectId('commit', commit).toString('hex');
    // A delta in git's format: the base's and the result's sizes (two 7-bit bytes each: both are
    // under 16 KB), copy the whole base (offset 0, a two-byte size), then insert the last line.
    const tail = target.subarray(base.length);
    const delta = Buffer.from([
      ...[(base.length & 0x7f) | 0x80, base.length >> 7],
      ...[(target.length & 0x7f) | 0x80, target.length >> 7],
      ...[0x80 | 0x10 | 0x20, base.length & 0xff, base.length >> 8],
      ...[tail.length, ...tail],
    ]);
    const entry = (type: number, size: number, body: Buffer, prefix = Buffer.alloc(0)) => {
      const header = [(type << 4) | (size & 0x0f) | (size > 0x0f ? 0x80 : 0)];
      for (let rest = size >> 4; rest > 0; rest >>= 7) header.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
      return Buffer.concat([Buffer.from(header), prefix, deflateSync(body)]);
    };
    const head = Buffer.from('PACK\0\0\0\x02\0\0\0\x04', 'latin1');
    const body = Buffer.concat([head, entry(1, commit.length, commit), entry(2, tree.length, tree), entry(7, delta.length, delta, baseId), entry(3, base.length, base)]);
    const pack = Buffer.concat([body, createHash('sha1').update(body).digest()]);

    const pkt = (line: string | Buffer) => {
      const data = typeof line === 'string' ? Buffer.from(line) : line;
      return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);
    };
    const caps = 'multi_ack_detailed no-done side-band-64k ofs-delta symref=HEAD:refs/heads/main agent=test';
    const advertisement = Buffer.concat([pkt('# service=git-upload-pack\n'), Buffer.from('0000'), pkt(`${commitId} HEAD\0${caps}\n`), pkt(`${commitId} refs/heads/main\n`), Buffer.from('0000')]);
    const result = Buffer.concat([pkt('NAK\n'), pkt(Buffer.concat([Buffer.from([1]), pack])), Buffer.from('0000')]);
    const server: typeof http = {
      async request({ url, method }) {
        const advertising = method === 'GET';
        const kind = advertising ? 'advertisement' : 'result';
        return {
          url,
          method,
          statusCode: 200,
          statusMessage: 'OK',
          headers: { 'content-type': `application/x-git-upload-pack-${kind}` },
          body: (async function* () {
            yield advertising ? advertisement : result;
          })(),
        };
      },
    };

    const clone = join(dir, 'delta-first');
    const seen = new Map<string, Buffer>();
    const url = 'http://git.example/delta-first.git';
    const onIndexedObject = ({ oid, object }: { oid: string; object: Uint8Array }) => void seen.set(oid, Buffer.from(object));
    await git.clone({ fs, http: server, dir: clone, gitdir: clone, url, ref: 'main', singleBranch: true, noCheckout: true, noTags: true, onIndexedObject });
    assert.deepEqual([...seen.keys()].sort(), [commitId, treeId.toString('hex'), baseId.toString('hex'), targetId.toString('hex')].sort());
    assert.ok(seen.get(targetId.toString('hex'))!.equals(target), 'the delta is reported with the content it makes');
    gitCli(clone, 'fsck', '--strict', '--no-dangling');
    assert.equal(gitCli(clone, 'cat-file', 'blob', `${commitId}:b.yaml`), target.toString('utf8'));
  });
});
