// The clone one automation run works in: opened with the blob screen that lets a first run read back
// only the files that can change, and its branch fetched, by the run itself or ahead of it. A fetch
// does not need the picks, so `reconcile` starts one while it loads the registry client and scans
// (fetchAhead), and the run then starts from the head that fetch brought.
import { join } from 'node:path';
import type { AutomationConfig } from '../config/schema.js';
import { coversBranch, type BranchRecord } from '../git/branch-history.js';
import { gitLogin } from '../git/git-credentials.js';
import type { GitHttpClientOptions } from '../git/git-http-client.js';
import { GitRepository, type CloneState, type GitRepositoryOptions } from '../git/git-repository.js';
import { withGitdirLock } from '../git/gitdir-lock.js';
import { redactUrl } from '../git/redact-url.js';
import { ScreenedBlobs } from '../git/screened-blobs.js';
import type { StateStore } from '../state/state-store.js';
import { MAX_FILE_BYTES, type ImagePick } from '../update/apply-setters.js';

/**
 * Which blob contents could be edited with these picks: a superset of applySetters' own pre-screen
 * (a marker, or in auto mode a picked repository's last path segment). The key names everything the
 * answer depends on, so a memo made under other picks' repositories is not trusted.
 */
export interface BlobScreen {
  /** Names everything the answer depends on: the memo is kept per key. */
  key: string;
  /** True when no pick could change this content (and applySetters would report nothing about it). */
  ignores(content: Uint8Array): boolean;
}

export function blobScreen(mode: AutomationConfig['update'], picks: ReadonlyMap<string, ImagePick>): BlobScreen {
  const needles = ['$imagepolicy'];
  if (mode === 'auto') {
    const names = new Set([...picks.values()].map((p) => p.repository.slice(p.repository.lastIndexOf('/') + 1)));
    needles.push(...[...names].sort());
  }
  const patterns = needles.map((n) => Buffer.from(n, 'utf8'));
  return {
    key: `v1 ${mode} ${MAX_FILE_BYTES} ${JSON.stringify(needles)}`,
    // An oversized file is never ignored: applySetters reports it on every run.
    ignores: (content) => {
      if (content.byteLength > MAX_FILE_BYTES) return false;
      const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
      return !patterns.some((p) => bytes.includes(p));
    },
  };
}

/** Where an automation's clone lives. */
export function gitdirOf(stateDir: string, automation: string): string {
  return join(stateDir, 'git', automation);
}

/** What opening a clone needs besides the automation. */
export interface CloneOptions {
  env: NodeJS.ProcessEnv;
  http: GitHttpClientOptions | undefined;
}

/** The automation's clone; every blob a fetch brings is screened into `memo` as its pack is indexed. */
export async function openClone(
  automation: AutomationConfig,
  gitdir: string,
  screen: BlobScreen,
  memo: ScreenedBlobs,
  options: CloneOptions & Pick<GitRepositoryOptions, 'packCache' | 'onRequest'>,
): Promise<GitRepository> {
  const { git } = automation;
  return new GitRepository(gitdir, git.url, {
    ...(await gitLogin(git, options.env)),
    http: options.http,
    packCache: options.packCache,
    onRequest: options.onRequest,
    // Blobs are screened as their pack is indexed, and the few that matter are kept: a run reads none back from the pack.
    onBlobFetched: (oid, content) => {
      if (screen.ignores(content)) memo.markIrrelevant(oid);
      else memo.keepRelevant(oid, content);
    },
  });
}

/** The memo of blobs `screen` rules out, kept beside the clone. */
export function loadMemo(gitdir: string, screen: BlobScreen): Promise<ScreenedBlobs> {
  return ScreenedBlobs.load(`${gitdir}.screened.json`, screen.key);
}

/** The state store key of an automation's branch history record. */
export const historyKey = (automation: string): string => `history/${automation}`;

/** The branch's history record as the state store keeps it between runs; undefined without a store. */
export async function storedBranchRecord(state: StateStore | undefined, automation: string): Promise<BranchRecord | undefined> {
  const key = historyKey(automation);
  return state ? (await state.get<BranchRecord>([key])).get(key)?.value : undefined;
}

/** What a fetch of the branch says. */
export interface FetchedBranch {
  head: string;
  clone: CloneState;
}

/** Fetches the automation's branch; without a record to stop at, the history is read to the root anyway, so a fresh clone brings all of it. */
export function fetchBranch(repo: GitRepository, automation: AutomationConfig, previous: BranchRecord | undefined): Promise<FetchedBranch> {
  const { git } = automation;
  const history = previous && coversBranch(previous, redactUrl(git.url), git.branch) ? 'recent' : 'whole';
  return repo.fetchHead(git.branch, { history });
}

/**
 * How old a head fetched ahead may be when its run starts. A large config's scan takes seconds, and
 * an older head is likelier to lose the push race (a rejection, a backoff, a fetch again) than a
 * fresh fetch costs.
 */
export const FETCHED_AHEAD_FRESH_MS = 5_000;

/** A fetch made ahead of a run: what it brought, or how it failed, the memo its blobs were screened into and the pack indexes it loaded. */
interface FetchAhead {
  /** The fetched head, or the failure (which the run reports as its own fetch's). */
  outcome: { fetched: FetchedBranch; at: number } | { failure: unknown };
  memo: ScreenedBlobs;
  screenKey: string;
  packCache: object | undefined;
}

/** Fetches made ahead of their runs, by gitdir; the next run there takes the result. */
const fetchesAhead = new Map<string, Promise<FetchAhead>>();

/** The longest a caller waits for a fetch ahead to ask for its pack: a remote that does not answer must not hold back the scan. */
export const FETCH_AHEAD_HEAD_START_MS = 250;

/**
 * Starts fetching an automation's branch before its picks are known, under the clone's lock; the
 * automation's next run in this process takes the result (takeFetchAhead). Resolves once the server
 * has been asked for the pack, the fetch is over or FETCH_AHEAD_HEAD_START_MS have passed: the
 * caller's own work then overlaps the server's, not the fetch's few steps before that, which would
 * otherwise wait for the caller. `http.signal` abandons a fetch no run will take. Not for
 * `update: auto`, whose blob screen needs the picks.
 */
export function fetchAhead(automation: AutomationConfig, options: CloneOptions & { stateDir: string; state: StateStore | undefined }): Promise<void> {
  if (automation.update === 'auto') return Promise.resolve();
  const gitdir = gitdirOf(options.stateDir, automation.name);
  const screen = blobScreen(automation.update, new Map());
  let asked = (): void => undefined;
  const askedForPack = new Promise<void>((resolve) => (asked = resolve));
  setTimeout(asked, FETCH_AHEAD_HEAD_START_MS).unref();
  const onRequest = (method: string): void => {
    // A turn of the event loop later: the client writes the request on the next tick, and the
    // caller's module loading, once it starts, would hold that write back until it is done.
    if (method === 'POST') setImmediate(asked);
  };
  const ahead = withGitdirLock(gitdir, async (): Promise<FetchAhead> => {
    const memo = await loadMemo(gitdir, screen);
    try {
      const repo = await openClone(automation, gitdir, screen, memo, { ...options, onRequest });
      // The fetch's first request goes out now, while the branch record is read and the clone inspected.
      repo.sendAdvertisementAhead('git-upload-pack');
      const fetched = await fetchBranch(repo, automation, await storedBranchRecord(options.state, automation.name));
      return { outcome: { fetched, at: Date.now() }, memo, screenKey: screen.key, packCache: repo.packCache };
    } catch (failure) {
      return { outcome: { failure }, memo, screenKey: screen.key, packCache: undefined };
    }
  });
  fetchesAhead.set(gitdir, ahead);
  // Every failure is in the outcome; nothing here may become an unhandled rejection.
  void ahead.catch(() => undefined).finally(asked);
  return askedForPack;
}

/** What a run takes from a fetch made ahead: the memo (when screened alike), the pack indexes it loaded, and a fetch to use instead of its first. */
export interface TakenFetch {
  memo: ScreenedBlobs | undefined;
  packCache: object | undefined;
  /** Undefined when the head is too old to build on or there was no such fetch: the run fetches itself. */
  outcome: FetchAhead['outcome'] | undefined;
}

/** The result of the fetch made ahead for `gitdir`, if any (once); call it holding the clone's lock. */
export async function takeFetchAhead(gitdir: string, screen: BlobScreen): Promise<TakenFetch> {
  const ahead = fetchesAhead.get(gitdir);
  fetchesAhead.delete(gitdir);
  const taken = ahead && (await ahead.catch(() => undefined));
  if (!taken) return { memo: undefined, packCache: undefined, outcome: undefined };
  const { outcome } = taken;
  const fresh = 'failure' in outcome || Date.now() - outcome.at <= FETCHED_AHEAD_FRESH_MS;
  return { memo: taken.screenKey === screen.key ? taken.memo : undefined, packCache: taken.packCache, outcome: fresh ? outcome : undefined };
}
