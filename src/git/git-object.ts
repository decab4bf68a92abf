// Git's object encodings, done natively (node's crypto and zlib): ids, trees and commits.
// isomorphic-git does the same in JavaScript, which is what made writes and clones slow.
// https://git-scm.com/book/en/v2/Git-Internals-Git-Objects
import { createHash } from 'node:crypto';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/** An object's type and content (without the "type size\0" header). */
export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

/** A tree entry as isomorphic-git's readTree returns it (mode "100644", "040000", …). */
export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** A person line's parts; timezoneOffset in isomorphic-git's convention (minutes behind UTC). */
export interface Person {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

export interface CommitFields {
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
  message: string;
}

/** The object id: SHA-1 of "type size\0content". */
export function objectId(object: GitObject): string {
  return createHash('sha1').update(`${object.type} ${object.content.length}\0`).update(object.content).digest('hex');
}

/** A tree object; entries are put in git's order (a folder sorts as if its name ended in "/"). */
export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const key = (e: TreeEntry) => (e.type === 'tree' ? `${e.path}/` : e.path);
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b))));
  return Buffer.concat(
    sorted.flatMap((e) => [Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.path}\0`), Buffer.from(e.oid, 'hex')]),
  );
}

/** The message as git stores it: no CRs, no leading blank lines, one final newline. */
export function normaliseMessage(message: string): string {
  return `${message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
}

/** The text a commit signature covers: the commit without its gpgsig header. */
export function commitPayload(fields: CommitFields): string {
  return `${commitHeaders(fields)}\n${normaliseMessage(fields.message)}`;
}

/** A commit object, with `signature` (armored) as its gpgsig header when given. */
export function encodeCommit(fields: CommitFields, signature?: string): Buffer {
  const gpgsig = signature
    ? `gpgsig ${signature.replace(/\r/g, '').trim().split('\n').join('\n ')}\n`
    : '';
  return Buffer.from(`${commitHeaders(fields)}${gpgsig}\n${normaliseMessage(fields.message)}`, 'utf8');
}

function commitHeaders(fields: CommitFields): string {
  return [
    `tree ${fields.tree}`,
    ...fields.parents.map((p) => `parent ${p}`),
    `author ${person(fields.author)}`,
    `committer ${person(fields.committer)}`,
    '',
  ].join('\n');
}

function person(p: Person): string {
  // Git drops these from names and emails; a newline would end the header early.
  const clean = (s: string) => s.replace(/[<>\n]/g, '').trim();
  return `${clean(p.name)} <${clean(p.email)}> ${p.timestamp} ${formatOffset(p.timezoneOffset)}`;
}

/** Minutes behind UTC (Date#getTimezoneOffset) as git's "+hhmm": the sign flips. */
function formatOffset(minutes: number): string {
  const sign = minutes > 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}
