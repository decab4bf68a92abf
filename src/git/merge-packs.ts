// Housekeeping for a clone tagpilot keeps: every fetch that brings something adds a pack, and so does
// every commit we write (write-pack.ts; an earlier tagpilot left a commit's objects loose, which are
// merged too). Past a few dozen of those, isomorphic-git loads more indexes per process and probes
// more files per read, so they are merged into one pack on the spot, as `git gc --auto` would,
// instead of downloading the whole clone again. The objects they hold that no commit needs any more
// stay in the merged pack (nothing here walks the history); once the merged pack outweighs the
// clone's own (the largest), fetching afresh is cheaper than keeping them, and the caller clones
// again: what is downloaded again is at most about what was fetched since.
import git from 'isomorphic-git';
import { LOOSE_FANOUT, LOOSE_NAME, type GitdirFs } from './gitdir-fs.js';
import { packIndexOids } from './write-pack.js';

/** isomorphic-git's `fs` option, as git-repository.ts passes it. */
type GitFs = Parameters<typeof git.packObjects>[0]['fs'];

/** What the merge needs of the clone: its folder, its fs (with and without isomorphic-git's wrapper) and its pack cache. */
export interface CloneObjects {
  gitdir: string;
  fs: GitdirFs;
  gitFs: GitFs;
  cache: object;
}

/**
 * Merges every pack but the largest, and every loose object, into one new pack; 'outgrown' (nothing
 * changed) when those together weigh more than the largest pack, which is the clone's own download.
 * The new pack and its index are written before anything is removed, and an index goes before its
 * pack: cut short anywhere, the clone holds every object at least once.
 */
export async function mergeSmallPacks(clone: CloneObjects): Promise<'merged' | 'outgrown'> {
  const { fs, gitdir } = clone;
  const packDir = `${gitdir}/objects/pack`;
  const names = await fs.promises.readdir(packDir);
  const indexed = new Set(names.filter((n) => n.endsWith('.idx')).map((n) => n.slice(0, -'.idx'.length)));
  // A pack without its index is a write cut short: nothing reads it (isomorphic-git lists indexes).
  const unindexed = names.filter((n) => n.endsWith('.pack') && !indexed.has(n.slice(0, -'.pack'.length)));
  const packs = await Promise.all(
    [...indexed].map(async (base) => ({ base, bytes: (await fs.promises.stat(`${packDir}/${base}.pack`)).size })),
  );
  packs.sort((a, b) => b.bytes - a.bytes);
  const [largest, ...small] = packs;
  const loose = await looseObjects(fs, gitdir);
  const smallBytes = small.reduce((sum, p) => sum + p.bytes, 0) + loose.reduce((sum, l) => sum + l.bytes, 0);
  if (largest && smallBytes > largest.bytes) return 'outgrown';

  const oids = new Set(loose.map((l) => l.oid));
  for (const { base } of small) {
    for (const oid of packIndexOids(await fs.promises.readFile(`${packDir}/${base}.idx`))) oids.add(oid);
  }
  let merged: string | undefined;
  if (oids.size > 0) {
    const { filename } = await git.packObjects({ fs: clone.gitFs, gitdir, oids: [...oids], write: true, cache: clone.cache });
    await git.indexPack({ fs: clone.gitFs, dir: gitdir, gitdir, filepath: `objects/pack/${filename}`, cache: clone.cache });
    merged = filename.slice(0, -'.pack'.length);
  }
  for (const { base } of small) {
    // A pack is named by its content: one the same as the merged pack is the merged pack.
    if (base === merged) continue;
    await fs.promises.unlink(`${packDir}/${base}.idx`);
    await fs.promises.unlink(`${packDir}/${base}.pack`);
  }
  for (const name of unindexed) await fs.promises.unlink(`${packDir}/${name}`);
  for (const { path } of loose) await fs.promises.unlink(path);
  // Emptied fan-out folders go too, as git prune-packed does; one a write filled meanwhile stays.
  for (const fanout of new Set(loose.map((l) => l.path.slice(0, l.path.lastIndexOf('/'))))) {
    await fs.promises.rmdir(fanout).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  }
  return 'merged';
}

/** The clone's loose objects: id, file and size. */
async function looseObjects(fs: GitdirFs, gitdir: string): Promise<Array<{ oid: string; path: string; bytes: number }>> {
  const objects = `${gitdir}/objects`;
  const fanouts = (await fs.promises.readdir(objects)).filter((name) => LOOSE_FANOUT.test(name));
  const found = await Promise.all(
    fanouts.map(async (fanout) => {
      const names = (await fs.promises.readdir(`${objects}/${fanout}`)).filter((name) => LOOSE_NAME.test(name));
      return Promise.all(
        names.map(async (name) => {
          const path = `${objects}/${fanout}/${name}`;
          return { oid: `${fanout}${name}`, path, bytes: (await fs.promises.stat(path)).size };
        }),
      );
    }),
  );
  return found.flat();
}
