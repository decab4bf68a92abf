// Pack housekeeping of a kept clone (src/git/merge-packs.ts): the packs fetches and our commits add,
// and the loose objects an earlier tagpilot left, are merged into one pack locally, and the clone is
// downloaded again only once they outweigh its own pack. Checked against git http-backend and the git
// CLI (fsck, show-index).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GitRepository } from '../../src/git/git-repository.js';
import { packIndexOids } from '../../src/git/write-pack.js';
import { HUMAN_AUTHOR, withGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const marked = (tag: string) => `kind: Deployment\nspec:\n  image: ghcr.io/acme/app:${tag} # {"$imagepolicy": "app"}\n`;
/** ~80 KB as a pack: what one run adds (a few small objects) weighs far less. */
const FILES: Record<string, string> = {
  'apps/app.yaml': marked('1.0.0'),
  'README.md': 'fleet\n',
  ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`data/${i}.txt`, randomBytes(384).toString('base64')])),
};

const packsIn = async (gitdir: string) => (await readdir(join(gitdir, 'objects', 'pack'))).filter((f) => f.endsWith('.pack')).sort();
/** Loose objects, and the fan-out folders that held them: the merge removes both. */
const looseIn = async (gitdir: string) => (await readdir(join(gitdir, 'objects'))).filter((f) => /^[0-9a-f]{2}$/.test(f)).length;
const git = async (gitdir: string, ...args: string[]) => (await runCommand('git', ['--git-dir', gitdir, ...args])).stdout;

describe('merging the packs of a kept clone', () => {
  it('merges fetched packs and our commits’ packs into one pack past maxPacks, keeping the clone it downloaded', async () => {
    await withGitServer('merge-packs', async (server, dir) => {
      const url = await server.createRepo('fleet', FILES);
      const gitdir = join(dir, 'clone');
      let repo = new GitRepository(gitdir, url, { maxPacks: 2 });
      const states: string[] = [];
      let firstPack: string | undefined;
      for (let i = 0; i < 4; i++) {
        if (i === 2) {
          // A pack written without its index (a fetch cut short) is left over; nothing reads it. The
          // next process finds it.
          await writeFile(join(gitdir, 'objects', 'pack', `pack-${'0'.repeat(40)}.pack`), 'PACK cut short');
          repo = new GitRepository(gitdir, url, { maxPacks: 2 });
        }
        const { head, clone } = await repo.fetchHead('main');
        states.push(clone);
        firstPack ??= (await packsIn(gitdir))[0];
        if (i >= 2) {
          // Merged before this fetch: the downloaded pack, the merged one and this fetch's.
          const packs = await packsIn(gitdir);
          assert.equal(packs.length, 3, `packs: ${packs.join(', ')}`);
          assert.ok(packs.includes(firstPack!), 'the first clone is kept, not downloaded again');
          assert.equal(await looseIn(gitdir), 0, 'no loose objects or their folders left');
          await git(gitdir, 'fsck', '--no-dangling');
          assert.equal((await git(gitdir, 'rev-parse', 'refs/heads/main')).trim(), head);
        }
        const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', marked(`9.${i}.0`)]]), `run ${i}`, HUMAN_AUTHOR);
        assert.equal((await repo.push(commit, 'main')).outcome, 'pushed');
        await server.commitAsHuman('fleet', 'main', { 'README.md': `fleet ${i}\n` }, `human ${i}`);
      }
      assert.deepEqual(states, ['missing', 'reused', 'reused', 'reused']);
      assert.equal(await server.readFile('fleet', 'main', 'apps/app.yaml'), marked('9.3.0'));
      // A later instance (the next process) reads the merged clone.
      const again = new GitRepository(gitdir, url, { maxPacks: 2 });
      const { head, clone } = await again.fetchHead('main');
      assert.equal(clone, 'reused');
      const { files } = await again.listFiles(head, ['apps'], () => true);
      assert.equal(Buffer.from(await again.readBlob(files.find((f) => f.path === 'apps/app.yaml')!.oid)).toString('utf8'), marked('9.3.0'));
    });
  });

  it('merges the loose objects an earlier tagpilot left, counting its commits until then', async () => {
    await withGitServer('merge-packs', async (server, dir) => {
      const url = await server.createRepo('fleet', FILES);
      const gitdir = join(dir, 'clone');
      await new GitRepository(gitdir, url, { maxPacks: 2 }).fetchHead('main');
      // What an earlier version left: its commits' objects loose, and how many commits it wrote.
      const paths = await Promise.all(
        ['one', 'two', 'three'].map(async (name) => {
          const path = join(dir, name);
          await writeFile(path, `loose ${name}\n`);
          return path;
        }),
      );
      const loose = (await git(gitdir, 'hash-object', '-w', ...paths)).trim().split('\n');
      const counter = join(gitdir, 'tagpilot-commits-written');
      await writeFile(counter, '2\n');
      // One pack and two loose commits: past maxPacks 2.
      const { clone } = await new GitRepository(gitdir, url, { maxPacks: 2 }).fetchHead('main');
      assert.equal(clone, 'reused');
      assert.equal(await looseIn(gitdir), 0, 'no loose objects or their folders left');
      await assert.rejects(readFile(counter), { code: 'ENOENT' }, 'the count goes with the objects it counted');
      for (const [i, oid] of loose.entries()) assert.equal(await git(gitdir, 'cat-file', 'blob', oid), `loose ${['one', 'two', 'three'][i]}\n`);
      await git(gitdir, 'fsck', '--no-dangling');
      assert.equal((await packsIn(gitdir)).length, 2, 'the downloaded pack and the merged one');
    });
  });

  it('clones afresh once what was fetched since outweighs the clone it downloaded', async () => {
    await withGitServer('merge-packs', async (server, dir) => {
      const url = await server.createRepo('fleet', FILES);
      const gitdir = join(dir, 'clone');
      const repo = new GitRepository(gitdir, url, { maxPacks: 2 });
      const states: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { clone } = await repo.fetchHead('main');
        states.push(clone);
        // Incompressible: two of these outweigh the first clone's pack.
        await server.commitAsHuman('fleet', 'main', { [`blobs/${i}.txt`]: randomBytes(72 * 1024).toString('base64') }, `human ${i}`);
      }
      // The third fetch left three packs (> maxPacks); the two fetched ones outweigh the first.
      assert.deepEqual(states, ['missing', 'reused', 'reused', 'compacted']);
      assert.equal((await packsIn(gitdir)).length, 1, 'one fresh pack');
    });
  });

  it('reads the object ids of a pack index as git show-index does, and refuses anything else', async () => {
    const dir = await makeTempDir('merge-packs');
    try {
      const gitdir = join(dir, 'repo.git');
      await runCommand('git', ['init', '--bare', '-q', gitdir]);
      const paths = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const path = join(dir, `object-${i}.txt`);
          await writeFile(path, `object ${i}\n`);
          return path;
        }),
      );
      const oids = (await runCommand('git', ['--git-dir', gitdir, 'hash-object', '-w', ...paths])).stdout.trim().split('\n');
      await runCommand('git', ['--git-dir', gitdir, 'pack-objects', '-q', join(gitdir, 'objects', 'pack', 'pack')], { input: `${oids.join('\n')}\n` });
      const [index] = (await readdir(join(gitdir, 'objects', 'pack'))).filter((f) => f.endsWith('.idx'));
      const bytes = await readFile(join(gitdir, 'objects', 'pack', index!));
      const shown = (await runCommand('git', ['show-index'], { input: bytes })).stdout.trim().split('\n').map((line) => line.split(' ')[1]);
      assert.equal(shown.length, 300);
      assert.deepEqual(packIndexOids(bytes), shown);
      assert.throws(() => packIndexOids(Buffer.from('PACK not an index')), /not a version 2 pack index/);
      assert.throws(() => packIndexOids(bytes.subarray(0, 8 + 256 * 4 + 20)), /cut short/);
    } finally {
      await removeTempDir(dir);
    }
  });
});
