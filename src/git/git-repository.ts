// A persistent, tree-less clone of one remote branch, worked on through git objects only:
// no checkout of thousands of files, just the blobs under `paths` (see shared/notes on speed).
import * as fs from 'node:fs';
import { rm } from 'node:fs/promises';
import git, { Errors, type AuthCallback } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { NotFoundError, TransientError, UnauthorizedError } from '../errors.js';

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

/** Basic credentials for the remote (a token goes in `password`). */
export interface GitCredentials {
  username: string;
  password: string;
}

export type PushOutcome = 'pushed' | 'rejected';

const FILE_MODES = new Set([0o100644, 0o100755]);
const TREE_MODE = 0o040000;

/** One remote branch kept in `gitdir`; safe only while tagpilot alone writes that gitdir. */
export class GitRepository {
  /** isomorphic-git's pack cache: one object for every call, or each read re-hashes the pack. */
  private readonly cache = {};
  private readonly onAuth: AuthCallback | undefined;

  constructor(
    readonly gitdir: string,
    readonly url: string,
    credentials?: GitCredentials,
  ) {
    this.onAuth = credentials ? () => ({ username: credentials.username, password: credentials.password }) : undefined;
  }

  private get base() {
    return { fs, gitdir: this.gitdir, cache: this.cache };
  }

  /** Fetches `branch` and returns its head commit; clones on first use and re-clones a broken cache. */
  async fetchHead(branch: string): Promise<string> {
    if (await this.isUsable()) {
      try {
        return await this.fetchExisting(branch);
      } catch (err) {
        if (isRemoteError(err)) throw this.remoteError(err, branch);
        // A corrupt or half-written clone is rebuilt, never trusted.
      }
    }
    await rm(this.gitdir, { recursive: true, force: true });
    try {
      await git.clone({
        ...this.base,
        http,
        dir: this.gitdir,
        url: this.url,
        ref: branch,
        singleBranch: true,
        depth: 1,
        noCheckout: true,
        noTags: true,
        onAuth: this.onAuth,
        onAuthFailure: () => ({ cancel: true }),
      });
    } catch (err) {
      await rm(this.gitdir, { recursive: true, force: true });
      throw this.remoteError(err, branch);
    }
    return this.remoteHead(branch);
  }

  private async fetchExisting(branch: string): Promise<string> {
    // No depth: on an existing clone that would download the whole tree again; without it only new commits come.
    await git.fetch({
      ...this.base,
      http,
      url: this.url,
      ref: branch,
      remoteRef: branch,
      singleBranch: true,
      tags: false,
      onAuth: this.onAuth,
      onAuthFailure: () => ({ cancel: true }),
    });
    return this.remoteHead(branch);
  }

  private async remoteHead(branch: string): Promise<string> {
    const oid = await git.resolveRef({ ...this.base, ref: `refs/remotes/origin/${branch}` });
    // The local branch is what the next fetch tells the server we already have.
    await git.writeRef({ ...this.base, ref: `refs/heads/${branch}`, value: oid, force: true });
    return oid;
  }

  private async isUsable(): Promise<boolean> {
    try {
      await git.resolveRef({ ...this.base, ref: 'HEAD' });
      return true;
    } catch {
      return false;
    }
  }

  /** Regular files under `paths` (folders or files) at `commit`; symlinks and submodules are skipped. */
  async listFiles(commit: string, paths: readonly string[], accept: (path: string) => boolean): Promise<TreeFile[]> {
    const roots = paths.map(normalisePath);
    const wanted = (path: string) => roots.some((r) => r === '' || path === r || path.startsWith(`${r}/`));
    const onTheWay = (dir: string) => roots.some((r) => r.startsWith(`${dir}/`));
    const files: TreeFile[] = [];
    await git.walk({
      ...this.base,
      trees: [git.TREE({ ref: commit })],
      map: async (path, [entry]) => {
        if (!entry || path === '.') return true;
        const type = await entry.type();
        if (type === 'tree') return wanted(path) || onTheWay(path) ? true : null;
        const mode = await entry.mode();
        if (type !== 'blob' || !FILE_MODES.has(mode) || !wanted(path) || !accept(path)) return null;
        files.push({ path, oid: await entry.oid(), mode });
        return true;
      },
    });
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** A blob's bytes. */
  async readBlob(oid: string): Promise<Uint8Array> {
    const { blob } = await git.readBlob({ ...this.base, oid });
    return blob;
  }

  /** Writes a commit on `parent` whose tree differs only in `files` (path → new content). */
  async writeCommit(parent: string, files: ReadonlyMap<string, string>, message: string, author: Signature): Promise<string> {
    const { commit } = await git.readCommit({ ...this.base, oid: parent });
    const blobs = new Map<string, string>();
    for (const [path, text] of files) {
      blobs.set(path, await git.writeBlob({ ...this.base, blob: Buffer.from(text, 'utf8') }));
    }
    const tree = await this.rewriteTree(commit.tree, '', blobs);
    const now = Math.floor(Date.now() / 1000);
    const person = { ...author, timestamp: now, timezoneOffset: 0 };
    return git.writeCommit({
      ...this.base,
      commit: { tree, parent: [parent], author: person, committer: person, message: message.endsWith('\n') ? message : `${message}\n` },
    });
  }

  /** Rebuilds the tree at `prefix` with new blob ids; only folders holding a change are rewritten. */
  private async rewriteTree(treeOid: string, prefix: string, blobs: ReadonlyMap<string, string>): Promise<string> {
    const { tree } = await git.readTree({ ...this.base, oid: treeOid });
    const entries = await Promise.all(
      tree.map(async (entry) => {
        const path = prefix ? `${prefix}/${entry.path}` : entry.path;
        const blob = blobs.get(path);
        if (blob) return { ...entry, oid: blob };
        if (Number.parseInt(entry.mode, 8) === TREE_MODE && [...blobs.keys()].some((p) => p.startsWith(`${path}/`))) {
          return { ...entry, oid: await this.rewriteTree(entry.oid, path, blobs) };
        }
        return entry;
      }),
    );
    return git.writeTree({ ...this.base, tree: entries });
  }

  /** Pushes `commit` to `remoteBranch`; 'rejected' when the remote moved on (never forced unless asked). */
  async push(commit: string, remoteBranch: string, options: { force?: boolean } = {}): Promise<PushOutcome> {
    const localRef = `refs/heads/tagpilot/push/${remoteBranch}`;
    await git.writeRef({ ...this.base, ref: localRef, value: commit, force: true });
    try {
      const result = await git.push({
        ...this.base,
        http,
        url: this.url,
        ref: localRef,
        remoteRef: `refs/heads/${remoteBranch}`,
        force: options.force ?? false,
        onAuth: this.onAuth,
        onAuthFailure: () => ({ cancel: true }),
      });
      if (result.ok) return 'pushed';
      const reasons = Object.values(result.refs).map((r) => r.error ?? '').join('; ');
      if (/non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref/i.test(reasons)) return 'rejected';
      throw new TransientError(`${redactUrl(this.url)}: push to ${remoteBranch} refused: ${reasons || result.error}`);
    } catch (err) {
      if (err instanceof Errors.PushRejectedError) return 'rejected';
      if (err instanceof Errors.GitPushError) {
        const text = JSON.stringify(err.data);
        if (/non-fast-forward|fetch first|stale info|failed to update ref/i.test(text)) return 'rejected';
      }
      throw this.remoteError(err, remoteBranch);
    }
  }

  /** Recent commits reachable from `commit`, newest first (as far as the clone's history goes). */
  async log(commit: string, depth: number): Promise<Array<{ oid: string; message: string; parents: string[] }>> {
    try {
      const entries = await git.log({ ...this.base, ref: commit, depth });
      return entries.map((e) => ({ oid: e.oid, message: e.commit.message, parents: e.commit.parent }));
    } catch (err) {
      // A shallow clone ends where its history was cut; what we have is what we report.
      if (err instanceof Errors.NotFoundError) return [];
      throw err;
    }
  }

  /** Classifies a failure to talk to the remote, naming it without credentials. */
  private remoteError(err: unknown, branch: string): Error {
    const remote = redactUrl(this.url);
    if (err instanceof Errors.HttpError) {
      const status = err.data.statusCode;
      if (status === 401 || status === 403) {
        return new UnauthorizedError(`${remote}: the git server refused our credentials (HTTP ${status})`, { cause: err });
      }
      if (status === 404) return new NotFoundError(`${remote}: repository not found (HTTP 404)`, { cause: err });
      return new TransientError(`${remote}: git server answered HTTP ${status}`, { cause: err });
    }
    if (err instanceof Errors.UserCanceledError) {
      return new UnauthorizedError(`${remote}: the git server refused our credentials`, { cause: err });
    }
    if (err instanceof Errors.NotFoundError || err instanceof Errors.NoRefspecError) {
      return new NotFoundError(`${remote}: branch ${branch} not found`, { cause: err });
    }
    if (err instanceof Errors.SmartHttpError || err instanceof Errors.EmptyServerResponseError) {
      return new TransientError(`${remote}: ${err.message}`, { cause: err });
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code && /^E[A-Z]+/.test(code)) return new TransientError(`${remote}: ${code}`, { cause: err });
    return err instanceof Error ? err : new Error(String(err));
  }
}

function isRemoteError(err: unknown): boolean {
  return (
    err instanceof Errors.HttpError ||
    err instanceof Errors.UserCanceledError ||
    err instanceof Errors.SmartHttpError ||
    /^E[A-Z]+/.test(String((err as NodeJS.ErrnoException | undefined)?.code ?? ''))
  );
}

function normalisePath(path: string): string {
  return path.replace(/^\.\/?/, '').replace(/\/+$/, '');
}

/** The URL without any user:password part, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
