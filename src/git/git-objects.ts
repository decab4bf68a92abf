// Git objects made in memory, named by their SHA-1 as git names them (`type size\0content`): the
// blobs and trees of a commit writeCommit builds, stored together as one pack (write-pack.ts) rather
// than handed one by one to isomorphic-git, which would deflate each into a file of its own.
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export interface GitObject {
  oid: string;
  type: ObjectType;
  content: Buffer;
}

/** A tree entry as isomorphic-git reads one: a six-digit mode ('040000' for a folder), a name and an id. */
export interface TreeEntryLike {
  mode: string;
  path: string;
  oid: string;
}

const TYPES = new Set<string>(['blob', 'tree', 'commit', 'tag']);
const FOLDER_MODE = '040000';

/** An object and the id git gives it. */
export function gitObject(type: ObjectType, content: Buffer): GitObject {
  const oid = createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
  return { oid, type, content };
}

/**
 * A tree of `entries`, written as git writes one: each entry `mode name\0id` (a folder's mode
 * without its leading 0), in git's order, which compares names as bytes with a `/` after a
 * folder's.
 */
export function treeObject(entries: readonly TreeEntryLike[]): GitObject {
  const named = entries.map((entry) => ({ entry, key: Buffer.from(entry.mode === FOLDER_MODE ? `${entry.path}/` : entry.path, 'utf8') }));
  named.sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [];
  for (const { entry } of named) {
    parts.push(Buffer.from(`${entry.mode === FOLDER_MODE ? '40000' : entry.mode} ${entry.path}\0`, 'utf8'), Buffer.from(entry.oid, 'hex'));
  }
  return gitObject('tree', Buffer.concat(parts));
}

/**
 * The object a loose object file holds (a deflated `type size\0` header and content). A file that
 * does not inflate, or whose header is not git's, is refused rather than read as a wrong type or size.
 */
export function readLooseObject(oid: string, loose: Uint8Array): GitObject {
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(loose);
  } catch (err) {
    throw new Error(`object ${oid} does not inflate: ${(err as Error).message}`, { cause: err });
  }
  const space = raw.indexOf(0x20);
  const nul = raw.indexOf(0, space + 1);
  const type = raw.toString('latin1', 0, Math.max(space, 0));
  const size = nul > space ? raw.toString('latin1', space + 1, nul) : '';
  const content = raw.subarray(nul + 1);
  if (!TYPES.has(type) || !/^(0|[1-9][0-9]*)$/.test(size) || Number(size) !== content.length) {
    throw new Error(`object ${oid} is not a git object (header ${JSON.stringify(raw.toString('latin1', 0, Math.min(Math.max(nul, 0), 32)))})`);
  }
  return { oid, type: type as ObjectType, content };
}
