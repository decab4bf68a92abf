// The `fs` isomorphic-git gets for one tagpilot-owned gitdir. isomorphic-git probes the disk on
// every call: it stats the gitdir, tries the loose path of each object before the packs, and lists
// objects/pack for each read. Answering those from memory is what makes a warm run cheap (see
// shared/notes/isomorphic-git-performance.md). It is only right while nothing else writes to the
// gitdir, which holds for a clone only tagpilot uses; every write made through here updates it.
import type { Stats } from 'node:fs';
import { promises as disk } from 'node:fs';
import { resolve } from 'node:path';
import { withPath } from './local-disk-failure.js';

/** What isomorphic-git's `fs` option needs: a promise API under an enumerable `promises`. */
export interface GitdirFs {
  promises: typeof disk;
}

/** A loose object's folder under objects/ (its id's first two hex digits), and its file's name in it (the other 38). */
export const LOOSE_FANOUT = /^[0-9a-f]{2}$/;
export const LOOSE_NAME = /^[0-9a-f]{38}$/;
const LOOSE_OBJECT = /^([0-9a-f]{2})\/([0-9a-f]{38})$/;
const NO_PATH = new TypeError('path must be a string');

/** An fs for `gitdir` (an absolute path) that remembers listings it made and keeps them current on writes. */
export function createGitdirFs(gitdir: string): GitdirFs {
  const root = resolve(gitdir);
  const objectsDir = `${root}/objects/`;
  const packDir = `${root}/objects/pack`;
  /** Fan-out folder ("ab") → object file names in it, loaded on first use. */
  const loose = new Map<string, Promise<Set<string>>>();
  /** Which fan-out folders exist: a clone that keeps its objects in packs has none, and then no probe touches the disk. */
  let fanouts: Promise<Set<string>> | undefined;
  let packs: Promise<string[]> | undefined;
  let rootStat: Promise<Stats> | undefined;
  let tempCount = 0;

  const fanoutSet = (): Promise<Set<string>> =>
    (fanouts ??= disk.readdir(objectsDir).then(
      (list) => new Set(list),
      () => new Set<string>(),
    ));

  const looseNames = (fanout: string): Promise<Set<string>> => {
    let names = loose.get(fanout);
    if (!names) {
      names = fanoutSet().then((existing) => (existing.has(fanout) ? disk.readdir(`${objectsDir}${fanout}`) : [])).then(
        (list) => new Set(list),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return new Set<string>();
          loose.delete(fanout);
          throw err;
        },
      );
      loose.set(fanout, names);
    }
    return names;
  };

  /** The object a path names when it is a loose object of this gitdir. */
  const looseObject = (path: string): { fanout: string; name: string } | undefined => {
    if (!path.startsWith(objectsDir)) return undefined;
    const match = LOOSE_OBJECT.exec(path.slice(objectsDir.length));
    return match ? { fanout: match[1]!, name: match[2]! } : undefined;
  };

  const isMissingLoose = async (path: string): Promise<boolean> => {
    const object = looseObject(path);
    return object !== undefined && !(await looseNames(object.fanout)).has(object.name);
  };

  /** Forgets what a removal or an unknown change under `path` may have made stale. */
  const forget = (path: string): void => {
    if (root.startsWith(path) || path === objectsDir.slice(0, -1)) {
      loose.clear();
      fanouts = undefined;
      packs = undefined;
      rootStat = undefined;
      return;
    }
    if (packDir.startsWith(path) || path.startsWith(packDir)) packs = undefined;
    for (const fanout of loose.keys()) {
      const dir = `${objectsDir}${fanout}`;
      if (dir.startsWith(path) || path.startsWith(dir)) loose.delete(fanout);
    }
    // A fan-out folder removed (a merge of packs empties them): which exist is read again when next asked.
    if (path.startsWith(objectsDir) && LOOSE_FANOUT.test(path.slice(objectsDir.length))) fanouts = undefined;
  };

  // isomorphic-git probes a missing loose object on every object read and throws the error away;
  // thousands of stack traces are measurable on a first run, so these carry none.
  const notFound = (path: string): NodeJS.ErrnoException => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT', path });
    } finally {
      Error.stackTraceLimit = limit;
    }
  };

  const readPresent = async (path: string, options?: unknown) => {
    if (await isMissingLoose(path)) throw notFound(path);
    return disk.readFile(path, options as never);
  };

  const promises = {
    ...disk,
    readFile(path: unknown, options?: unknown) {
      // isomorphic-git calls readFile() with no path, twice per API call, to learn whether this fs
      // returns promises; one shared error answers that without a stack trace each time.
      if (typeof path !== 'string') return Promise.reject(NO_PATH);
      return readPresent(path, options);
    },
    async stat(path: string, options?: unknown) {
      if (path === root) return (rootStat ??= disk.stat(root).catch((err: unknown) => {
        rootStat = undefined;
        throw err;
      }));
      if (await isMissingLoose(path)) throw notFound(path);
      return disk.stat(path, options as never);
    },
    async lstat(path: string, options?: unknown) {
      if (await isMissingLoose(path)) throw notFound(path);
      return disk.lstat(path, options as never);
    },
    async readdir(path: string, options?: unknown) {
      if (path === packDir && options === undefined) {
        packs ??= disk.readdir(packDir).catch((err: unknown) => {
          packs = undefined;
          throw err;
        });
        return [...(await packs)];
      }
      return disk.readdir(path, options as never);
    },
    async writeFile(path: string, data: unknown, options?: unknown) {
      // A failed write(2) (a full disk) names no file: the message should.
      if (!path.startsWith(objectsDir)) return withPath(path, disk.writeFile(path, data as never, options as never));
      // Objects and packs are written whole or not at all: a crash mid-write must not leave a
      // truncated object that later reads (and the "already exists" check before writes) trust.
      const temp = `${path}.tmp-${process.pid}-${tempCount++}`;
      const object = looseObject(path);
      // A clone keeps its objects in packs, so most loose ones go to a fan-out folder not made yet:
      // made first, instead of after the write has failed for want of it (a failed open, removing
      // the temporary file, and isomorphic-git's own mkdir and second write, for each object).
      if (object && !(await fanoutSet()).has(object.fanout)) {
        await withPath(path, disk.mkdir(`${objectsDir}${object.fanout}`, { recursive: true }));
        (await fanoutSet()).add(object.fanout);
      }
      await withPath(path, disk.writeFile(temp, data as never, options as never)).catch(async (err: unknown) => {
        await disk.rm(temp, { force: true });
        throw err;
      });
      try {
        await disk.rename(temp, path);
      } catch (err) {
        await disk.rm(temp, { force: true });
        throw err;
      }
      if (object) {
        const names = loose.get(object.fanout);
        if (names) (await names).add(object.name);
      } else if (path.startsWith(packDir)) {
        packs = undefined;
      }
    },
    async unlink(path: string) {
      forget(path);
      return disk.unlink(path);
    },
    async rmdir(path: string, options?: unknown) {
      forget(path);
      return disk.rmdir(path, options as never);
    },
    async rm(path: string, options?: unknown) {
      forget(path);
      return disk.rm(path, options as never);
    },
    async rename(from: string, to: string) {
      forget(from);
      forget(to);
      return disk.rename(from, to);
    },
  };
  return Object.defineProperty({} as GitdirFs, 'promises', { value: promises, enumerable: true });
}
