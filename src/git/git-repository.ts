// A persistent, tree-less clone of one remote branch, worked on through git objects only: no
// checkout of thousands of files, just the blobs under `paths`. isomorphic-git clones, fetches, reads
// and pushes; a commit's new objects (blobs, the trees above them, the commit) are made here and
// stored as one pack (git-objects.ts, write-pack.ts). What makes it fast enough is in
// shared/notes/isomorphic-git-performance.md: one `cache` for every call, the in-memory fs
// (gitdir-fs.ts), fetch without depth into an existing clone, and rewriting only the folders that
// changed; plus, patched into isomorphic-git (patches/README.md), native zlib and SHA-1, a hook that
// shows us each fetched blob as it is indexed (onBlobFetched), and a push handed the commit's pack
// and the ids in it instead of walking the trees to find them and packing them again.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import git, { Errors, type HttpClient, type TreeEntry } from 'isomorphic-git';
import { FileSystem } from 'isomorphic-git/models';
import { errorMessage, NotFoundError, PushDeclinedError, TagpilotError, TransientError } from '../errors.js';
import type { CommitSigner } from './commit-signer.js';
import { createGitHttpClient, type GitHttpClientOptions } from './git-http-client.js';
import { createGitSshClient, type SshAuth } from './git-ssh-client.js';
import { createGitdirFs, type GitdirFs } from './gitdir-fs.js';
import { redactUrl } from './redact-url.js';
import { localDiskFailure, withPath } from './local-disk-failure.js';
import { mergeSmallPacks } from './merge-packs.js';
import { commitObject, commitPayload, gitObject, treeObject, type GitObject } from './git-objects.js';
import { buildPack, type BuiltPack } from './write-pack.js';
import { remoteFailure } from './remote-failure.js';
import { RequestsAhead } from './requests-ahead.js';
import { parseSshRemote } from './ssh-remote.js';

/** Basic credentials for the remote (a token goes in `password`). */
export interface GitCredentials {
  username: string;
  password: string;
}

/** A file in the tree: path from the repository root, blob id and mode. */
export interface TreeFile {
  path: string;
  oid: string;
  mode: number;
}

/**
 * What listFiles may pass over and what it learns, kept between runs (ScreenedBlobs): ids of blobs
 * that hold nothing the caller looks for, and of trees that hold only such blobs and such trees.
 */
export interface TreeMemo {
  isIrrelevant(oid: string): boolean;
  markIrrelevant(oid: string): void;
}

/** What listFiles found. */
export interface TreeListing {
  files: TreeFile[];
  /** The id of every blob and tree named in the trees read: what a memo built from this listing may keep. */
  seen: Set<string>;
  /** False when a folder the memo knew to be irrelevant was passed over, its contents unlisted. */
  complete: boolean;
}

/** Who a commit is by. */
export interface Signature {
  name: string;
  email: string;
}

/** A commit as history scans need it. */
export interface HistoryCommit {
  oid: string;
  message: string;
  parents: string[];
  tree: string;
  /** When it was committed (committer time), in seconds since the epoch: the status page lists recent commits with it. */
  time: number;
}

/**
 * Why the clone was made afresh on this fetch ('compacted': what was fetched and written since it was
 * made outweighed it, merge-packs.ts), or 'reused' when an existing one was fetched into.
 */
export type CloneState = 'reused' | 'missing' | 'other-remote' | 'corrupt' | 'compacted';

/** 'rejected' when the remote moved on; `reason` is what the server said. A refusal that is not a race throws PushDeclinedError. */
export interface PushResult {
  outcome: 'pushed' | 'rejected';
  reason: string;
}

/** The code of the TransientError raised when the clone's own files turn out unreadable. */
export const CORRUPT_CLONE = 'GIT_CLONE_CORRUPT';

/**
 * Commits a fresh clone fetches: enough to see recent reverts and the commits they revert. Each one
 * adds the blobs and trees it changed to the first clone's download and indexing (see bench/git.bench.ts).
 */
export const HISTORY_DEPTH = 50;
/**
 * Every fetch that brings something adds a pack, and so does every commit we write (write-pack.ts).
 * Past this many they are merged into one pack (merge-packs.ts), or the clone is made afresh once
 * they outweigh its own pack.
 */
export const MAX_PACKS = 24;

const FILE_MODES = new Set([0o100644, 0o100755]);
const TREE_MODE = '040000';
/** Symlinks are never followed (SPEC §3): one under `paths` is reported, not read. */
const SYMLINK_MODE = 0o120000;
/** Written last by a clone: a gitdir without it is an interrupted clone, rebuilt. */
const ORIGIN_FILE = 'tagpilot-origin';
/**
 * How many commits an earlier tagpilot wrote into this clone as loose objects, one file each: they
 * count towards MAX_PACKS until a merge packs them and removes this file. Nothing writes it now.
 */
const WRITTEN_FILE = 'tagpilot-commits-written';

export interface GitRepositoryOptions {
  credentials?: GitCredentials;
  /** Key and known hosts for an SSH remote (ssh:// or user@host:path); unused for HTTP(S). */
  ssh?: SshAuth;
  historyDepth?: number;
  /** Defaults to MAX_PACKS. */
  maxPacks?: number;
  /**
   * Sees every blob a clone or fetch brings, while its pack is indexed (the one time isomorphic-git
   * inflates it anyway): a first run learns which of 5,000 files are worth reading without reading
   * them. `content` is a view; copy it to keep it.
   */
  onBlobFetched?: (oid: string, content: Uint8Array) => void;
  /** Told as each request to the remote starts (over HTTP or SSH): a fetch's POST asks the server for the pack. */
  onRequest?: (method: string) => void;
  /** Timeouts of each request to the remote, and a signal that abandons every one in flight. */
  http?: GitHttpClientOptions;
  /**
   * The packCache of an earlier instance on this gitdir (a fetch made ahead of the run): pack files
   * never change under their names, so the indexes it loaded need not be loaded again.
   */
  packCache?: object;
}

/** One remote branch kept in `gitdir`; safe only while tagpilot alone writes that gitdir. */
export class GitRepository {
  readonly gitdir: string;
  /** isomorphic-git's pack cache: one object for every call, or each read re-hashes the pack. */
  private cache: object;
  private fs: GitdirFs;
  /**
   * `fs` as isomorphic-git wraps it, once: it wraps a plain fs anew on every call (binding each
   * method), and takes one already wrapped (its FileSystem class, exported as isomorphic-git/models)
   * as it is. Over 5,000 blob reads that wrapping alone cost ~50 ms.
   */
  private gitFs: GitFs;
  /** The remote without credentials: what the clone's origin file and every message show. */
  private readonly remote: string;
  /** Where isomorphic-git sends requests: the remote, or for SSH `https::<remote>` (its http plugin serves SSH, git-ssh-client.ts). */
  private readonly transportUrl: string;
  /** Credentials travel in a header on every request, so none pays a 401 round trip first. */
  private readonly authorization: string | undefined;
  private readonly http: HttpClient;
  /** Over HTTP(S), where a request can be sent before isomorphic-git asks for it (sendAdvertisementAhead). */
  private readonly ahead: RequestsAhead | undefined;
  private readonly commits = new Map<string, HistoryCommit>();
  /** Trees read so far, by id: writeCommit rewrites the folders listFiles read without reading them again. */
  private readonly trees = new Map<string, TreeEntry[]>();
  /**
   * Commit → every object writeCommit made for it (its new blobs and trees, and itself) and the pack
   * it stored them in: what a push of it sends, as it is.
   */
  private readonly added = new Map<string, { objects: string[]; pack: Buffer }>();
  /** The branch the last fetch moved to: pushing our commit there moves the local ref along. */
  private fetchedBranch: string | undefined;

  constructor(
    gitdir: string,
    readonly url: string,
    private readonly options: GitRepositoryOptions = {},
  ) {
    this.gitdir = resolve(gitdir);
    this.cache = options.packCache ?? {};
    this.fs = createGitdirFs(this.gitdir);
    this.gitFs = wrapForGit(this.fs);
    this.remote = redactUrl(url);
    const ssh = parseSshRemote(url);
    const auth = ssh ? undefined : (options.credentials ?? credentialsInUrl(url));
    this.authorization = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
    const client = ssh
      ? createGitSshClient(ssh, options.ssh, this.remote, options.http?.timeouts?.requestMs)
      : (this.ahead = new RequestsAhead(createGitHttpClient(this.remote, options.http)));
    const onRequest = options.onRequest;
    this.http = onRequest
      ? {
          request: (request) => {
            onRequest(request.method ?? 'GET');
            return client.request(request);
          },
        }
      : client;
    this.transportUrl = ssh ? `https::${this.remote}` : this.remote;
  }

  /** The pack indexes this instance loaded, for a later instance on the gitdir (GitRepositoryOptions.packCache). */
  get packCache(): object {
    return this.cache;
  }

  private get base() {
    return { fs: this.gitFs, gitdir: this.gitdir, cache: this.cache };
  }

  /** What every call that talks to the remote needs; a fresh headers object each time, as isomorphic-git adds to it. */
  private get remoteCall(): { http: HttpClient; url: string; headers: Record<string, string> } {
    return { http: this.http, url: this.transportUrl, headers: this.authorization ? { Authorization: this.authorization } : {} };
  }

  /** What every clone and fetch passes: the hook (patches/README.md) that hands onBlobFetched each blob as it is indexed. */
  private get indexing(): { onIndexedObject?: (object: { oid: string; type: string; object: Uint8Array }) => void } {
    const onBlob = this.options.onBlobFetched;
    if (!onBlob) return {};
    return {
      onIndexedObject: ({ oid, type, object }) => {
        if (type === 'blob') onBlob(oid, object);
      },
    };
  }

  /**
   * Fetches `branch` and returns its head; clones on first use and rebuilds a broken, foreign or
   * bloated clone. A clone is shallow (historyDepth) unless `history` is 'whole': a caller that will
   * read the branch to its root anyway saves the deepening fetches, and a deepening fetch sends again
   * objects the clone has (in bench/start.bench.ts's repository, 5,000 of the 7,700 it brought).
   */
  async fetchHead(branch: string, { history = 'recent' }: { history?: 'recent' | 'whole' } = {}): Promise<{ head: string; clone: CloneState }> {
    // The fetch's first request goes out while the clone is inspected (a clone begins with the same one).
    this.sendAdvertisementAhead('git-upload-pack');
    let clone = await this.inspect();
    if (clone === 'compacted') clone = await this.mergePacks();
    if (clone === 'reused') {
      try {
        return { head: await this.fetchInto(branch), clone };
      } catch (err) {
        // A corrupt or half-written clone is rebuilt, never trusted; trouble with the server is not ours to fix.
        if (!(err instanceof TransientError && err.code === CORRUPT_CLONE)) throw err;
        clone = 'corrupt';
      }
    }
    await this.discard();
    try {
      return { head: await this.clone(branch, history === 'whole' ? undefined : (this.options.historyDepth ?? HISTORY_DEPTH)), clone };
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /**
   * Takes `head` of `branch`, which another instance fetched into this gitdir (a fetch made ahead of
   * the run), as this one's fetched head; one the clone cannot read means a damaged clone.
   */
  async adoptFetchedHead(branch: string, head: string): Promise<void> {
    if (!(await this.readCommit(head))) throw corrupt(new Error(`the fetched head ${head} is not readable`));
    this.fetchedBranch = branch;
  }

  /** Removes the clone; the next fetch starts afresh. */
  async discard(): Promise<void> {
    await rm(this.gitdir, { recursive: true, force: true });
    this.cache = {};
    this.fs = createGitdirFs(this.gitdir);
    this.gitFs = wrapForGit(this.fs);
    this.commits.clear();
    this.trees.clear();
  }

  /**
   * Merges the packs and loose objects past MAX_PACKS into one pack: 'reused' when merged, 'compacted'
   * when they outweigh the clone's own pack and it is to be made afresh, 'corrupt' when an object
   * will not read. A full disk is thrown: cloning again would fail the same way.
   */
  private async mergePacks(): Promise<CloneState> {
    const objects = { gitdir: this.gitdir, fs: this.fs, gitFs: this.gitFs, cache: this.cache };
    let merged: Awaited<ReturnType<typeof mergeSmallPacks>>;
    try {
      merged = await mergeSmallPacks(objects);
    } catch (err) {
      const failure = corrupt(err);
      if (failure instanceof TransientError && failure.code === CORRUPT_CLONE) return 'corrupt';
      throw failure;
    }
    if (merged === 'outgrown') return 'compacted';
    // Indexes of removed packs would stay in memory for nothing; the others load again on first use.
    this.cache = {};
    const writtenFile = `${this.gitdir}/${WRITTEN_FILE}`;
    await this.local(() => withPath(writtenFile, rm(writtenFile, { force: true })));
    return 'reused';
  }

  /** Whether the clone on disk can be fetched into, and if not, why. */
  private async inspect(): Promise<CloneState> {
    let origin: string;
    try {
      origin = (await readFile(`${this.gitdir}/${ORIGIN_FILE}`, 'utf8')).trim();
    } catch {
      return 'missing';
    }
    if (origin !== this.remote) return 'other-remote';
    try {
      // The head must read. A damaged store is met here, before a fetch that finds nothing it can use
      // asks for everything again, and the objects read from that pack never touch the damaged ones.
      if (!(await this.readCommit(await git.resolveRef({ ...this.base, ref: 'HEAD' })))) return 'corrupt';
      if ((await packsAndLooseCommits(this.gitdir, this.fs.promises)) > (this.options.maxPacks ?? MAX_PACKS)) return 'compacted';
      return 'reused';
    } catch {
      return 'corrupt';
    }
  }

  /** A single-branch clone without tags or checkout, `depth` commits deep (all of them when undefined). */
  private async clone(branch: string, depth: number | undefined): Promise<string> {
    const ref = `refs/heads/${branch}`;
    try {
      await git.clone({
        ...this.base,
        ...this.remoteCall,
        ...this.indexing,
        dir: this.gitdir,
        ref,
        singleBranch: true,
        ...(depth === undefined ? {} : { depth }),
        noCheckout: true,
        noTags: true,
      });
    } catch (err) {
      // Nothing local to blame yet (the gitdir was empty): a broken download is worth another try.
      throw this.fetchFailure(err, branch) ?? new TransientError(`${this.remote}: the clone failed: ${errorMessage(err)}`, { cause: err });
    }
    const head = await git.resolveRef({ ...this.base, ref }).catch(() => {
      // isomorphic-git ends a clone of an empty repository quietly, without the branch.
      throw new NotFoundError(`${this.remote}: branch ${branch} not found`);
    });
    const originFile = `${this.gitdir}/${ORIGIN_FILE}`;
    await this.local(() => withPath(originFile, writeFile(originFile, `${this.remote}\n`)));
    this.fetchedBranch = branch;
    return head;
  }

  /**
   * Brings an existing clone to the remote head. No depth: with one, isomorphic-git downloads the
   * whole tree again; without, the local branch (the last head we know) is what the fetch says it
   * has, so only newer commits come.
   */
  private async fetchInto(branch: string): Promise<string> {
    const head = await this.fetchBranch(branch);
    if (!head) throw new NotFoundError(`${this.remote}: branch ${branch} not found`);
    if (!(await this.readCommit(head))) throw corrupt(new Error(`the fetched head ${head} is not readable`));
    await this.moveBranch(branch, head);
    return head;
  }

  /**
   * Fetches `commits` more commits below the clone's shallow boundary (git's deepen-relative), so the
   * history reads further back. A failure is thrown, classified: history that cannot be read is never
   * taken for history that is not there.
   */
  async deepen(branch: string, commits: number): Promise<void> {
    await this.fetchBranch(branch, commits);
  }

  /** isomorphic-git's fetch of `branch` into the clone, `deepenBy` commits further back when given; the fetched head. */
  private async fetchBranch(branch: string, deepenBy?: number): Promise<string | null> {
    try {
      const { fetchHead } = await git.fetch({
        ...this.base,
        ...this.remoteCall,
        ...this.indexing,
        ref: branch,
        remoteRef: `refs/heads/${branch}`,
        singleBranch: true,
        tags: false,
        ...(deepenBy === undefined ? {} : { depth: deepenBy, relative: true }),
      });
      return fetchHead;
    } catch (err) {
      throw this.fetchFailure(err, branch) ?? corrupt(err);
    }
  }

  /** The remote failure behind a clone or fetch, including a branch the remote does not have; undefined when the fault is local. */
  private fetchFailure(err: unknown, branch: string): Error | undefined {
    if (err instanceof Errors.NotFoundError && [branch, `refs/heads/${branch}`].includes(err.data.what)) {
      return new NotFoundError(`${this.remote}: branch ${branch} not found`, { cause: err });
    }
    return remoteFailure(err, this.remote);
  }

  /** Points the local branch at `oid`: it is what the next fetch says it has. */
  private async moveBranch(branch: string, oid: string): Promise<void> {
    await this.local(() => git.writeRef({ ...this.base, ref: `refs/heads/${branch}`, value: oid, force: true }));
    this.fetchedBranch = branch;
  }

  /** The commit a remote branch points to, or null when it does not exist. */
  async remoteBranchHead(branch: string): Promise<string | null> {
    const ref = `refs/heads/${branch}`;
    try {
      const refs = await git.listServerRefs({ ...this.remoteCall, prefix: ref, protocolVersion: 1 });
      return refs.find((r) => r.ref === ref)?.oid ?? null;
    } catch (err) {
      throw remoteFailure(err, this.remote) ?? err;
    }
  }

  /**
   * Regular files under `paths` (folders or files) at `commit`; symlinks (told to `onSymlink`) and
   * submodules are skipped. With a `memo`, every tree read that names only blobs and trees the memo
   * holds irrelevant is marked irrelevant in turn, and with `passOver` a tree the memo holds is not
   * read: a folder nobody edits costs nothing on the next run. Such a folder has no file a caller
   * would read (its blobs are all irrelevant) and no symlink to report (it names only blobs and trees).
   */
  async listFiles(
    commit: string,
    paths: readonly string[],
    accept: (path: string) => boolean,
    options: { onSymlink?: (path: string) => void; memo?: TreeMemo; passOver?: boolean } = {},
  ): Promise<TreeListing> {
    const { onSymlink, memo, passOver = false } = options;
    const roots = paths.map(normalisePath);
    const wanted = (path: string) => roots.some((r) => r === '' || path === r || path.startsWith(`${r}/`));
    const onTheWay = (dir: string) => roots.some((r) => r.startsWith(`${dir}/`));
    const files: TreeFile[] = [];
    const seen = new Set<string>();
    let complete = true;
    // readTree per folder, not walk(): walk pays several awaits per entry, and most entries are files we only list.
    const visit = async (treeOid: string, prefix: string): Promise<void> => {
      const tree = await this.local(() => this.readTree(treeOid));
      const folders: Promise<void>[] = [];
      const subtrees: string[] = [];
      // Whether every entry is a plain file the memo holds irrelevant (the subtrees are checked below).
      let plain = memo !== undefined;
      for (const entry of tree) {
        seen.add(entry.oid);
        const path = prefix ? `${prefix}/${entry.path}` : entry.path;
        if (entry.type === 'tree') {
          subtrees.push(entry.oid);
          if (!wanted(path) && !onTheWay(path)) continue;
          if (passOver && memo?.isIrrelevant(entry.oid)) complete = false;
          else folders.push(visit(entry.oid, path));
          continue;
        }
        const mode = Number.parseInt(entry.mode, 8);
        if (plain && !(entry.type === 'blob' && FILE_MODES.has(mode) && memo?.isIrrelevant(entry.oid))) plain = false;
        if (entry.type !== 'blob' || !wanted(path) || !accept(path)) continue;
        if (FILE_MODES.has(mode)) files.push({ path, oid: entry.oid, mode });
        else if (mode === SYMLINK_MODE) onSymlink?.(path);
      }
      await Promise.all(folders);
      // The folders below were marked by now, if they hold nothing either.
      if (plain && prefix !== '' && subtrees.every((oid) => memo?.isIrrelevant(oid))) memo?.markIrrelevant(treeOid);
    };
    await visit(commit, '');
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files, seen, complete };
  }

  /** A blob's bytes. */
  async readBlob(oid: string): Promise<Uint8Array> {
    const { blob } = await this.local(() => git.readBlob({ ...this.base, oid }));
    return blob;
  }

  /**
   * Writes a commit on `parent` whose tree differs only in `files` (path → new content), signed when
   * a signer is given. The branch refs are left alone.
   */
  async writeCommit(
    parent: string,
    files: ReadonlyMap<string, string>,
    message: string,
    author: Signature,
    signer?: CommitSigner,
  ): Promise<string> {
    const parentCommit = await this.readCommit(parent);
    if (!parentCommit) throw corrupt(new Error(`commit ${parent} is missing`));
    // Every object is made here and stored with the others as one pack (write-pack.ts).
    const objects = new Map<string, GitObject>();
    const add = (object: GitObject): string => (objects.set(object.oid, object), object.oid);
    const blobs = new Map([...files].map(([path, text]) => [path, add(gitObject('blob', Buffer.from(text, 'utf8')))]));
    const tree = await this.local(() => this.rewriteTree(parentCommit.tree, '', blobs, foldersOf(files.keys()), add));
    const person = { ...author, timestamp: Math.floor(Date.now() / 1000) };
    const payload = commitPayload({ tree, parents: [parent], author: person, committer: person, message });
    // A key that will not sign is the signer's error, not a damaged clone.
    const oid = add(commitObject(payload, signer && (await signer.sign(payload))));
    const built = buildPack(objects.values());
    await this.local(() => this.storePack(built));
    this.added.set(oid, { objects: [...objects.keys()], pack: built.pack });
    return oid;
  }

  /** Writes a pack and then its index: isomorphic-git and git read a pack through its index, so a pack cut short is never read. */
  private async storePack({ name, pack, index }: BuiltPack): Promise<void> {
    const packDir = `${this.gitdir}/objects/pack`;
    await this.fs.promises.writeFile(`${packDir}/${name}.pack`, pack);
    await this.fs.promises.writeFile(`${packDir}/${name}.idx`, index);
  }

  /**
   * Rebuilds the tree at `prefix` with new blob ids; only `folders` (those holding a changed file)
   * are rebuilt, the others keep their tree as it is. Every tree it makes goes to `add`.
   */
  private async rewriteTree(
    treeOid: string,
    prefix: string,
    blobs: ReadonlyMap<string, string>,
    folders: ReadonlySet<string>,
    add: (object: GitObject) => string,
  ): Promise<string> {
    const tree = await this.readTree(treeOid);
    const entries = await Promise.all(
      tree.map(async (entry) => {
        const path = prefix ? `${prefix}/${entry.path}` : entry.path;
        const blob = blobs.get(path);
        if (blob) return { ...entry, oid: blob };
        if (entry.mode === TREE_MODE && folders.has(path)) return { ...entry, oid: await this.rewriteTree(entry.oid, path, blobs, folders, add) };
        return entry;
      }),
    );
    return add(treeObject(entries));
  }

  /** A tree's entries; kept for the life of this instance (a tree id names its entries for ever). */
  private async readTree(oid: string): Promise<TreeEntry[]> {
    const known = this.trees.get(oid);
    if (known) return known;
    const { tree } = await git.readTree({ ...this.base, oid });
    this.trees.set(oid, tree);
    return tree;
  }

  /** A commit's parents, tree and message, or null when the clone does not have it (shallow, or never fetched). */
  async readCommit(oid: string): Promise<HistoryCommit | null> {
    const known = this.commits.get(oid);
    if (known) return known;
    try {
      const { commit } = await git.readCommit({ ...this.base, oid });
      const read = { oid, message: commit.message, parents: commit.parent, tree: commit.tree, time: commit.committer.timestamp };
      this.commits.set(oid, read);
      return read;
    } catch (err) {
      if (err instanceof Errors.NotFoundError) return null;
      throw corrupt(err);
    }
  }

  /** Up to `limit` commits reachable from `head`, breadth first, as far as the clone's history goes. */
  async history(head: string, limit: number): Promise<HistoryCommit[]> {
    const found: HistoryCommit[] = [];
    const seen = new Set<string>([head]);
    let frontier = [head];
    while (frontier.length > 0 && found.length < limit) {
      const commits = (await Promise.all(frontier.map((oid) => this.readCommit(oid)))).filter((c) => c !== null);
      frontier = [];
      for (const commit of commits) {
        if (found.length >= limit) break;
        found.push(commit);
        for (const parent of commit.parents) {
          if (!seen.has(parent)) {
            seen.add(parent);
            frontier.push(parent);
          }
        }
      }
    }
    return found;
  }

  /**
   * Sends now the request a fetch (git-upload-pack) or a push (git-receive-pack) to this remote
   * begins with, the refs the remote advertises, for the next fetchHead() or push() to take
   * (requests-ahead.ts): sent while the clone is inspected or the commit written, the fetch or push
   * does not wait a round trip for it. Over SSH the advertisement opens the session the rest is sent
   * on, and is not sent early.
   */
  sendAdvertisementAhead(service: 'git-upload-pack' | 'git-receive-pack'): void {
    // The URL and headers isomorphic-git's fetch and push ask with (GitRemoteHTTP.discover, protocol version 1).
    this.ahead?.sendAhead(`${this.transportUrl}/info/refs?service=${service}`, this.remoteCall.headers);
  }

  /**
   * Pushes `commit` (made by this instance's writeCommit) to `remoteBranch`. Without `force` only a
   * fast-forward of the branch from the commit we built on is sent; anything else is 'rejected'
   * before anything is sent. What is sent is the pack writeCommit stored: the commit was built on one
   * fetched from this remote, which has everything else.
   */
  async push(commit: string, remoteBranch: string, options: { force?: boolean } = {}): Promise<PushResult> {
    const written = await this.readCommit(commit);
    const added = this.added.get(commit);
    if (!written || !added) throw new Error(`commit ${commit} was not written by this clone of ${this.remote}`);
    const force = options.force ?? false;
    let refusal: string | undefined;
    const remoteSaid: string[] = [];
    try {
      await git.push({
        ...this.base,
        ...this.remoteCall,
        ref: commit,
        remoteRef: `refs/heads/${remoteBranch}`,
        force,
        objects: added.objects,
        packfile: added.pack,
        onMessage: (line) => void remoteSaid.push(line.trim()),
        onPrePush: ({ remoteRef }) => {
          if (force || remoteRef.oid === commit || remoteRef.oid === written.parents[0]) return true;
          const where = /^0+$/.test(remoteRef.oid) ? 'no longer exists' : `moved to ${remoteRef.oid.slice(0, 12)}`;
          refusal = `fetch first: ${remoteBranch} ${where}`;
          return false;
        },
      });
    } catch (err) {
      if (refusal !== undefined && err instanceof Errors.UserCanceledError) return { outcome: 'rejected', reason: refusal };
      if (err instanceof Errors.PushRejectedError) return { outcome: 'rejected', reason: err.message };
      if (err instanceof Errors.GitPushError) {
        const { result } = err.data;
        const said = [result.error, ...Object.values(result.refs).map((r) => r.error)].filter(Boolean).join('; ') || 'no status';
        const reason = [said, remoteSaid.filter(Boolean).join(' ')].filter(Boolean).join(': ');
        if (result.ok && isRaceRejection(reason)) return { outcome: 'rejected', reason };
        // A hook may refuse because someone pushed while ours was in flight: then the branch has moved,
        // and the edit is re-applied on the new head. If it has not moved, the refusal is the server's
        // decision (a hook, a protected branch) and another try would only repeat it.
        if (!force && (await this.remoteBranchHead(remoteBranch)) !== written.parents[0]) return { outcome: 'rejected', reason };
        throw new PushDeclinedError(`${this.remote}: push to ${remoteBranch} declined: ${reason}`, { cause: err });
      }
      throw remoteFailure(err, this.remote) ?? corrupt(err);
    }
    // The next fetch then says it has our commit and gets only what others pushed after it.
    if (remoteBranch === this.fetchedBranch) await this.moveBranch(remoteBranch, commit);
    return { outcome: 'pushed', reason: '' };
  }

  /** Runs a read or write of the clone's own files; a failure there means the clone is corrupt. */
  private async local<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw corrupt(err);
    }
  }
}

/** A kept clone's packs, plus the commits an earlier tagpilot left loose in it (WRITTEN_FILE): what MAX_PACKS bounds. */
export async function packsAndLooseCommits(gitdir: string, fs: Pick<GitdirFs['promises'], 'readdir'>): Promise<number> {
  const packs = (await fs.readdir(`${gitdir}/objects/pack`)).filter((f) => f.endsWith('.pack'));
  return packs.length + (await looseCommits(gitdir));
}

/** How many commits an earlier tagpilot left loose in the clone at `gitdir`. */
async function looseCommits(gitdir: string): Promise<number> {
  const text = await readFile(`${gitdir}/${WRITTEN_FILE}`, 'utf8').catch(() => '0');
  return Number.parseInt(text, 10) || 0;
}

/** The `fs` option's type: isomorphic-git's typings leave out its own FileSystem, which it accepts. */
type GitFs = Parameters<typeof git.readBlob>[0]['fs'];

function wrapForGit(fs: GitdirFs): GitFs {
  return new FileSystem(fs) as unknown as GitFs;
}

/** Every folder that holds one of `paths`, at any depth ("a/b/c.yaml" gives "a" and "a/b"). */
function foldersOf(paths: Iterable<string>): Set<string> {
  const folders = new Set<string>();
  for (const path of paths) {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) folders.add(path.slice(0, slash));
  }
  return folders;
}

/** Refusals that another client's push explains: fetch again, re-apply and retry. */
function isRaceRejection(reason: string): boolean {
  return /non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref/i.test(reason);
}

function corrupt(err: unknown): unknown {
  if (err instanceof TagpilotError) return err;
  // A full or read-only disk is not a damaged clone: rebuilding it would only fail the same way.
  const disk = localDiskFailure(err);
  if (disk) return disk;
  return new TransientError(`the local clone is unreadable: ${errorMessage(err)}`, { cause: err, code: CORRUPT_CLONE });
}

/** user:password written into the remote URL, used when no credentials are configured. */
function credentialsInUrl(url: string): GitCredentials | undefined {
  try {
    const { username, password } = new URL(url);
    return username ? { username: decodeURIComponent(username), password: decodeURIComponent(password) } : undefined;
  } catch {
    return undefined;
  }
}

function normalisePath(path: string): string {
  return path.replace(/^\.\/?/, '').replace(/\/+$/, '');
}
