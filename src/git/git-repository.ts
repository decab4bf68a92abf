// A persistent, tree-less clone of one remote branch, worked on through git objects only: no
// checkout of thousands of files, just the blobs under `paths` (see shared/notes on speed).
// isomorphic-git reads the object store (trees, blobs, commits). What it is slow at is done here
// with node's zlib and crypto: clone and fetch over smart HTTP (indexing the packs), writing a
// commit (one pack of the new objects, not loose files) and pushing that very pack.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import git, { Errors } from 'isomorphic-git';
import { NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import type { CommitSigner } from './commit-signer.js';
import { commitPayload, encodeCommit, encodeTree, objectId, type GitObject, type TreeEntry } from './git-object.js';
import { createGitdirFs, type GitdirFs } from './gitdir-fs.js';
import { encodePack, indexPack } from './pack-file.js';
import { demuxSideBand, FLUSH_PKT, PktLineReader, pktLine } from './pkt-line.js';
import { SmartHttpClient, type GitCredentials, type RefAdvertisement } from './smart-http.js';

export type { GitCredentials };

/** A file in the tree: path from the repository root, blob id and mode. */
export interface TreeFile {
  path: string;
  oid: string;
  mode: number;
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
}

/** Why the clone was made afresh on this fetch, or 'reused' when an existing one was fetched into. */
export type CloneState = 'reused' | 'missing' | 'other-remote' | 'corrupt' | 'compacted';

/** 'rejected' when the remote moved on (or a hook declined); `reason` is what the server said. */
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
 * Every pushing run adds a pack, and so does every fetch that brings something; nothing merges them.
 * Past this many the clone is rebuilt as one pack (a native clone costs about one warm run).
 */
export const MAX_PACKS = 24;

const FILE_MODES = new Set([0o100644, 0o100755]);
const TREE_MODE = '040000';
const ZERO_OID = '0'.repeat(40);
/** Written last by a clone: a gitdir without it is an interrupted clone, rebuilt. */
const ORIGIN_FILE = 'tagpilot-origin';
const AGENT = 'agent=tagpilot';

export interface GitRepositoryOptions {
  credentials?: GitCredentials;
  historyDepth?: number;
  /** Defaults to MAX_PACKS. */
  maxPacks?: number;
  /** Sees every blob a clone or fetch downloads, while it is in memory anyway (to fill the blob memo). */
  onFetchedBlob?: (oid: string, content: Buffer) => void;
}

/** One remote branch kept in `gitdir`; safe only while tagpilot alone writes that gitdir. */
export class GitRepository {
  readonly gitdir: string;
  /** isomorphic-git's pack cache: one object for every call, or each read re-hashes the pack. */
  private cache: object = {};
  private fs: GitdirFs;
  private readonly client: SmartHttpClient;
  private readonly commits = new Map<string, HistoryCommit>();
  /** Packs written by writeCommit, by the commit they carry, waiting to be pushed as they are. */
  private readonly outgoing = new Map<string, { pack: Buffer; parent: string }>();
  /** The branch the last fetch moved to: pushing our commit there moves the local ref along. */
  private fetchedBranch: string | undefined;

  constructor(
    gitdir: string,
    readonly url: string,
    private readonly options: GitRepositoryOptions = {},
  ) {
    this.gitdir = resolve(gitdir);
    this.fs = createGitdirFs(this.gitdir);
    this.client = new SmartHttpClient(url, options.credentials);
  }

  private get base() {
    return { fs: this.fs, gitdir: this.gitdir, cache: this.cache };
  }

  /** Fetches `branch` and returns its head; clones on first use and rebuilds a broken, foreign or bloated clone. */
  async fetchHead(branch: string): Promise<{ head: string; clone: CloneState }> {
    let clone = await this.inspect();
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
      return { head: await this.clone(branch), clone };
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Removes the clone; the next fetch starts afresh. */
  async discard(): Promise<void> {
    await rm(this.gitdir, { recursive: true, force: true });
    this.cache = {};
    this.fs = createGitdirFs(this.gitdir);
    this.commits.clear();
  }

  /** Whether the clone on disk can be fetched into, and if not, why. */
  private async inspect(): Promise<CloneState> {
    let origin: string;
    try {
      origin = (await readFile(`${this.gitdir}/${ORIGIN_FILE}`, 'utf8')).trim();
    } catch {
      return 'missing';
    }
    if (origin !== this.client.shownUrl) return 'other-remote';
    try {
      await git.resolveRef({ ...this.base, ref: 'HEAD' });
      const packs = (await this.fs.promises.readdir(`${this.gitdir}/objects/pack`)).filter((f) => f.endsWith('.pack'));
      // Everything we write is a pack (no loose objects), so the pack count alone measures the clutter.
      if (packs.length > (this.options.maxPacks ?? MAX_PACKS)) return 'compacted';
      return 'reused';
    } catch {
      return 'corrupt';
    }
  }

  /**
   * A shallow, single-branch clone made natively: want the head, deepen by historyDepth, index the
   * pack with node's zlib and crypto, and lay out a bare gitdir isomorphic-git can read.
   */
  private async clone(branch: string): Promise<string> {
    const advertised = await this.client.advertisement('git-upload-pack');
    const head = this.advertisedHead(advertised, branch);
    const { pack, shallows } = await this.uploadPack(advertised, head, { depth: this.options.historyDepth ?? HISTORY_DEPTH });
    const dir = this.gitdir;
    await Promise.all(['objects/pack', 'refs/heads', 'refs/tags', 'refs/remotes/origin'].map((d) => mkdir(`${dir}/${d}`, { recursive: true })));
    await this.storePack(pack);
    await writeFile(`${dir}/HEAD`, `ref: refs/heads/${branch}\n`);
    await writeFile(
      `${dir}/config`,
      `[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n[remote "origin"]\n\turl = ${this.client.shownUrl}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`,
    );
    if (shallows.length > 0) await writeFile(`${dir}/shallow`, `${[...new Set(shallows)].sort().join('\n')}\n`);
    await this.moveBranch(branch, head);
    await writeFile(`${dir}/${ORIGIN_FILE}`, `${this.client.shownUrl}\n`);
    return head;
  }

  /**
   * Brings an existing clone to the remote head: nothing to download when we already have it (our
   * own last push, usually), else one upload-pack request that names what we have and where our
   * history was cut, so only the new commits come.
   */
  private async fetchInto(branch: string): Promise<string> {
    const advertised = await this.client.advertisement('git-upload-pack');
    const head = this.advertisedHead(advertised, branch);
    if (!(await this.readCommit(head))) {
      const known = await this.localRef(`refs/heads/${branch}`);
      const { pack } = await this.uploadPack(advertised, head, { haves: known ? [known] : [], shallows: await this.shallowCommits() });
      await this.storePack(pack);
      if (!(await this.readCommit(head))) throw corrupt(new Error(`the fetched head ${head} is not readable`));
    }
    await this.moveBranch(branch, head);
    return head;
  }

  /**
   * A commit older than the history we hold (a revert can name one), fetched alone at depth 1. Null
   * when the server will not give it: git serves any commit reachable from a branch over HTTP, but
   * a server may refuse commits that are not branch tips.
   */
  async fetchCommit(oid: string, have: string): Promise<HistoryCommit | null> {
    const local = await this.readCommit(oid);
    if (local) return local;
    try {
      const advertised = await this.client.advertisement('git-upload-pack');
      const { pack, shallows } = await this.uploadPack(advertised, oid, { depth: 1, haves: [have], shallows: await this.shallowCommits() });
      await this.storePack(pack);
      const all = new Set([...(await this.shallowCommits()), ...shallows]);
      await this.local(() => writeFile(`${this.gitdir}/shallow`, `${[...all].sort().join('\n')}\n`));
    } catch (err) {
      if (err instanceof UnauthorizedError || (err instanceof TransientError && err.code === CORRUPT_CLONE)) throw err;
      return null;
    }
    return this.readCommit(oid);
  }

  private async shallowCommits(): Promise<string[]> {
    const text = await readFile(`${this.gitdir}/shallow`, 'utf8').catch(() => '');
    return text.split('\n').filter((line) => /^[0-9a-f]{40}$/.test(line));
  }

  private advertisedHead(advertised: RefAdvertisement, branch: string): string {
    const head = advertised.refs.get(`refs/heads/${branch}`);
    if (!head) throw new NotFoundError(`${this.client.shownUrl}: branch ${branch} not found`);
    return head;
  }

  /** One upload-pack exchange (protocol v0, stateless): wants, shallow boundary, haves, done; returns the pack. */
  private async uploadPack(
    advertised: RefAdvertisement,
    want: string,
    options: { depth?: number; haves?: string[]; shallows?: string[] },
  ): Promise<{ pack: Buffer; shallows: string[] }> {
    const capabilities = ['side-band-64k', 'ofs-delta', 'shallow', 'no-progress'].filter((c) => advertised.capabilities.has(c));
    const shallowOk = capabilities.includes('shallow');
    const request = Buffer.concat([
      pktLine(`want ${want} ${[...capabilities, AGENT].join(' ')}\n`),
      ...(shallowOk ? (options.shallows ?? []).map((oid) => pktLine(`shallow ${oid}\n`)) : []),
      ...(shallowOk && options.depth ? [pktLine(`deepen ${options.depth}\n`)] : []),
      FLUSH_PKT,
      ...(options.haves ?? []).map((oid) => pktLine(`have ${oid}\n`)),
      pktLine('done\n'),
    ]);
    const reader = new PktLineReader(await this.client.rpc('git-upload-pack', request));
    const shallows: string[] = [];
    for (;;) {
      const line = reader.nextText();
      if (line === null) continue;
      if (line.startsWith('shallow ')) shallows.push(line.slice(8));
      else if (line === 'NAK' || line.startsWith('ACK ')) break;
      else if (line.startsWith('ERR ')) throw new TransientError(`${this.client.shownUrl}: ${line.slice(4)}`);
      else if (!line.startsWith('unshallow ')) throw this.client.protocolError(`unexpected "${line.slice(0, 80)}" before the pack`);
    }
    if (!capabilities.includes('side-band-64k')) return { pack: reader.rest(), shallows };
    const bands = demuxSideBand(reader);
    if (bands.error) throw new TransientError(`${this.client.shownUrl}: ${bands.error}`);
    return { pack: bands.data, shallows };
  }

  /** Indexes a downloaded pack and adds it to the object store (index last: readers find packs by their index). */
  private async storePack(pack: Buffer): Promise<void> {
    let indexed: ReturnType<typeof indexPack>;
    try {
      indexed = indexPack(pack);
    } catch (err) {
      throw new TransientError(`${this.client.shownUrl}: the pack we received is unusable: ${(err as Error).message}`, { cause: err });
    }
    const name = `${this.gitdir}/objects/pack/pack-${pack.subarray(pack.length - 20).toString('hex')}`;
    await this.local(async () => {
      await this.fs.promises.writeFile(`${name}.pack`, pack);
      await this.fs.promises.writeFile(`${name}.idx`, indexed.index);
    });
    if (this.options.onFetchedBlob) for (const o of indexed.objects) if (o.type === 'blob') this.options.onFetchedBlob(o.oid, o.content);
  }

  /** Points the local branch and its remote-tracking ref at `oid`; the local one is what the next fetch says it has. */
  private async moveBranch(branch: string, oid: string): Promise<void> {
    await this.local(async () => {
      for (const ref of [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`]) {
        await mkdir(dirname(`${this.gitdir}/${ref}`), { recursive: true });
        await writeFile(`${this.gitdir}/${ref}`, `${oid}\n`);
      }
    });
    this.fetchedBranch = branch;
  }

  private async localRef(ref: string): Promise<string | null> {
    const text = await readFile(`${this.gitdir}/${ref}`, 'utf8').catch(() => '');
    return /^[0-9a-f]{40}$/.test(text.trim()) ? text.trim() : null;
  }

  /** The commit a remote branch points to, or null when it does not exist. */
  async remoteBranchHead(branch: string): Promise<string | null> {
    const { refs } = await this.client.advertisement('git-upload-pack');
    return refs.get(`refs/heads/${branch}`) ?? null;
  }

  /** Regular files under `paths` (folders or files) at `commit`; symlinks and submodules are skipped. */
  async listFiles(commit: string, paths: readonly string[], accept: (path: string) => boolean): Promise<TreeFile[]> {
    const roots = paths.map(normalisePath);
    const wanted = (path: string) => roots.some((r) => r === '' || path === r || path.startsWith(`${r}/`));
    const onTheWay = (dir: string) => roots.some((r) => r.startsWith(`${dir}/`));
    const files: TreeFile[] = [];
    // readTree per folder, not walk(): walk pays several awaits per entry, and most entries are files we only list.
    const visit = async (treeOid: string, prefix: string): Promise<void> => {
      const { tree } = await this.local(() => git.readTree({ ...this.base, oid: treeOid }));
      const folders: Promise<void>[] = [];
      for (const entry of tree) {
        const path = prefix ? `${prefix}/${entry.path}` : entry.path;
        if (entry.type === 'tree') {
          if (wanted(path) || onTheWay(path)) folders.push(visit(entry.oid, path));
          continue;
        }
        const mode = Number.parseInt(entry.mode, 8);
        if (entry.type === 'blob' && FILE_MODES.has(mode) && wanted(path) && accept(path)) files.push({ path, oid: entry.oid, mode });
      }
      await Promise.all(folders);
    };
    await visit(commit, '');
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** A blob's bytes. */
  async readBlob(oid: string): Promise<Uint8Array> {
    const { blob } = await this.local(() => git.readBlob({ ...this.base, oid }));
    return blob;
  }

  /**
   * Writes a commit on `parent` whose tree differs only in `files` (path → new content), signed when
   * a signer is given, as one pack of the new blobs, the rewritten trees and the commit.
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
    const objects: GitObject[] = [];
    const blobs = new Map<string, string>();
    for (const [path, text] of files) {
      const blob: GitObject = { type: 'blob', content: Buffer.from(text, 'utf8') };
      blobs.set(path, objectId(blob));
      objects.push(blob);
    }
    const tree = await this.rewriteTree(parentCommit.tree, '', blobs, objects);
    const person = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    const fields = { tree, parents: [parent], author: person, committer: person, message };
    const signature = signer ? await signer.sign(commitPayload(fields)) : undefined;
    const commit: GitObject = { type: 'commit', content: encodeCommit(fields, signature) };
    objects.push(commit);
    const oid = objectId(commit);
    const pack = encodePack(objects);
    const { index } = indexPack(pack);
    const name = `${this.gitdir}/objects/pack/pack-${pack.subarray(pack.length - 20).toString('hex')}`;
    // The index last: readers only see a pack through its index.
    await this.local(async () => {
      await this.fs.promises.writeFile(`${name}.pack`, pack);
      await this.fs.promises.writeFile(`${name}.idx`, index);
    });
    this.outgoing.set(oid, { pack, parent });
    return oid;
  }

  /** Rebuilds the tree at `prefix` with new blob ids, adding each rewritten tree to `objects`; other folders are untouched. */
  private async rewriteTree(treeOid: string, prefix: string, blobs: ReadonlyMap<string, string>, objects: GitObject[]): Promise<string> {
    const { tree } = await this.local(() => git.readTree({ ...this.base, oid: treeOid }));
    const changed = [...blobs.keys()];
    const entries: TreeEntry[] = await Promise.all(
      tree.map(async (entry) => {
        const path = prefix ? `${prefix}/${entry.path}` : entry.path;
        const blob = blobs.get(path);
        if (blob) return { ...entry, oid: blob };
        if (entry.mode === TREE_MODE && changed.some((p) => p.startsWith(`${path}/`))) {
          return { ...entry, oid: await this.rewriteTree(entry.oid, path, blobs, objects) };
        }
        return entry;
      }),
    );
    const object: GitObject = { type: 'tree', content: encodeTree(entries) };
    objects.push(object);
    return objectId(object);
  }

  /** A commit's parents, tree and message, or null when the clone does not have it (shallow, or never fetched). */
  async readCommit(oid: string): Promise<HistoryCommit | null> {
    const known = this.commits.get(oid);
    if (known) return known;
    try {
      const { commit } = await git.readCommit({ ...this.base, oid });
      const read = { oid, message: commit.message, parents: commit.parent, tree: commit.tree };
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
   * Pushes `commit` (made by writeCommit) to `remoteBranch` by sending its pack as it is. Without
   * `force` only a fast-forward of the branch we built on is sent; anything else is 'rejected'.
   */
  async push(commit: string, remoteBranch: string, options: { force?: boolean } = {}): Promise<PushResult> {
    const written = this.outgoing.get(commit);
    if (!written) throw new Error(`commit ${commit} was not written by this repository object`);
    const ref = `refs/heads/${remoteBranch}`;
    const advertised = await this.client.advertisement('git-receive-pack');
    const old = advertised.refs.get(ref) ?? ZERO_OID;
    if (old !== commit) {
      if (!options.force) {
        if (old !== written.parent) {
          const where = old === ZERO_OID ? 'no longer exists' : `moved to ${old.slice(0, 12)}`;
          return { outcome: 'rejected', reason: `fetch first: ${remoteBranch} ${where}` };
        }
      }
      const capabilities = ['report-status', 'side-band-64k'].filter((c) => advertised.capabilities.has(c));
      if (!capabilities.includes('report-status')) throw this.client.protocolError('the server cannot report push results (no report-status)');
      const request = Buffer.concat([pktLine(`${old} ${commit} ${ref}\0${[...capabilities, AGENT].join(' ')}\n`), FLUSH_PKT, written.pack]);
      const response = new PktLineReader(await this.client.rpc('git-receive-pack', request));
      let status = response;
      let remoteSaid = '';
      if (capabilities.includes('side-band-64k')) {
        const bands = demuxSideBand(response);
        if (bands.error) throw new TransientError(`${this.client.shownUrl}: push to ${remoteBranch} failed: ${bands.error}`);
        status = new PktLineReader(bands.data);
        remoteSaid = bands.progress.replace(/\s+/g, ' ').trim();
      }
      const unpack = status.nextText();
      if (unpack !== 'unpack ok') throw this.client.protocolError(`the server could not unpack our push: ${unpack ?? 'no status'}`);
      const result = status.nextText() ?? '';
      if (!result.startsWith(`ok ${ref}`)) {
        const reason = [result.replace(/^ng \S+ ?/, '') || 'no status', remoteSaid].filter(Boolean).join(': ');
        if (isRaceRejection(reason)) return { outcome: 'rejected', reason };
        throw new TransientError(`${this.client.shownUrl}: push to ${remoteBranch} refused: ${reason}`);
      }
    }
    this.outgoing.delete(commit);
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

/** Refusals that another client's push explains: fetch again, re-apply and retry. */
function isRaceRejection(reason: string): boolean {
  return /non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref|pre-receive hook declined/i.test(reason);
}

function corrupt(err: unknown): unknown {
  if (err instanceof TransientError || err instanceof UnauthorizedError || err instanceof NotFoundError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TransientError(`the local clone is unreadable: ${message}`, { cause: err, code: CORRUPT_CLONE });
}

function normalisePath(path: string): string {
  return path.replace(/^\.\/?/, '').replace(/\/+$/, '');
}
