// Git objects made in memory, named by their SHA-1 as git names them (`type size\0content`): the
// blobs, trees and commit writeCommit builds, stored together as one pack (write-pack.ts) rather than
// handed one by one to isomorphic-git, which deflates each into a file of its own (and, for a commit,
// reads HEAD, the refs, the index and the config four times first). Formats as git writes them:
// Documentation/gitformat-signature.txt for a signed commit.
import { createHash } from 'node:crypto';

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

/** An author or committer: the time is UTC (`+0000`), in seconds. */
export interface Ident {
  name: string;
  email: string;
  timestamp: number;
}

/** What a commit records. */
export interface CommitFields {
  tree: string;
  parents: readonly string[];
  author: Ident;
  committer: Ident;
  message: string;
}

const FOLDER_MODE = '040000';
/** What git refuses in a name or email: the brackets that delimit the email, and line breaks. */
const IDENT_BREAKING = /[<>\n\r\0]/;

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
 * A commit's text without a signature: what a signature signs, and the commit itself when unsigned.
 * The message as git stores it: without carriage returns or leading blank lines, one final newline.
 */
export function commitPayload({ tree, parents, author, committer, message }: CommitFields): string {
  const headers = [`tree ${tree}`, ...parents.map((parent) => `parent ${parent}`), `author ${ident(author)}`, `committer ${ident(committer)}`];
  const body = `${message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
  return `${headers.join('\n')}\n\n${body}`;
}

/**
 * The commit object for `payload` (commitPayload's), with `signature` (armored, OpenPGP or SSH) as
 * its gpgsig header when given: the header's first line after the name, each further line indented
 * by one space, as git writes and `git verify-commit` reads it.
 */
export function commitObject(payload: string, signature?: string): GitObject {
  if (signature === undefined) return gitObject('commit', Buffer.from(payload, 'utf8'));
  const end = payload.indexOf('\n\n');
  const lines = signature.replace(/\r/g, '').trim().split('\n');
  const header = `gpgsig ${lines.join('\n ')}\n`;
  return gitObject('commit', Buffer.from(`${payload.slice(0, end + 1)}${header}${payload.slice(end + 1)}`, 'utf8'));
}

function ident({ name, email, timestamp }: Ident): string {
  for (const [what, value] of [['name', name], ['email', email]]) {
    if (IDENT_BREAKING.test(value!)) throw new Error(`commit ${what} ${JSON.stringify(value)} holds <, > or a line break, which git cannot record`);
  }
  return `${name} <${email}> ${timestamp} +0000`;
}
