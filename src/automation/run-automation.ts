// One automation run (SPEC §3, §4): fetch the branch, hold back reverted tags, edit the files under
// `paths` from the object store, commit, push; a push rejected because someone else pushed is re-applied
// here, on the new head, a bounded number of times. Nothing else is retried here: a transient failure
// is thrown for the queue's job retry (SPEC §7). With a pushBranch the commit goes there instead, and
// the pull/merge request for it is opened or refreshed.
import { isUtf8 } from 'node:buffer';
import type { AutomationConfig } from '../config/schema.js';
import { InputError, TransientError, UnauthorizedError } from '../errors.js';
import { changedImages, defaultCommitMessage, withTrailers, type CommitChange, type PromotionNote } from '../git/commit-message.js';
import { loadCommitSigner, type CommitSigner } from '../git/commit-signer.js';
import type { CommitTemplate } from '../git/commit-template.js';
import { updateBranchRecord, type BranchRecord } from '../git/branch-history.js';
import type { GitHttpClientOptions } from '../git/git-http-client.js';
import { CORRUPT_CLONE, type GitRepository, type TreeFile } from '../git/git-repository.js';
import { describeGitCredentials } from '../git/git-credential-source.js';
import { withGitdirLock } from '../git/gitdir-lock.js';
import { findHeldBackTags, type HeldBackTag } from '../git/held-back-tags.js';
import { redactUrl } from '../git/redact-url.js';
import type { PullRequestOutcome } from '../git/pull-request.js';
import { exponentialBackoff } from '../retry-timing.js';
import type { StateStore } from '../state/state-store.js';
import type { ScreenedBlobs } from '../git/screened-blobs.js';
import { applySetters, type ImagePick, type MarkedField, type SetterChange, type SetterProblem } from '../update/apply-setters.js';
import { isManifestPath } from '../update/is-manifest-path.js';
import { commitChange, versionOf } from './commit-change.js';
import type { Logger } from '../log.js';
import type { PromotionOrigin } from '../promotion/evaluate-promotion.js';
import { promotionNotes } from '../promotion/promotion-notes.js';
import {
  blobScreen,
  fetchBranch,
  gitdirOf,
  historyKey,
  loadMemo,
  openClone,
  storedBranchRecord,
  takeFetchAhead,
  type BlobScreen,
  type FetchedBranch,
  type TakenFetch,
} from './run-automation-clone.js';

export const MAX_PUSH_ATTEMPTS = 5;
const READ_CONCURRENCY = 32;

/** A policy's pick, with the tags ranked after it so a revert hold can fall back to the next best (SPEC §4). */
export interface RankedPick extends ImagePick {
  /** Best first, the pick's own tag first of all; just the pick when absent. */
  candidates?: readonly string[];
  /** For a promotion policy (SPEC §2): where each ranked candidate comes from, named by the commit message. */
  promotion?: readonly PromotionOrigin[];
}

/** What one run did. */
export interface AutomationResult {
  automation: string;
  /** The commit pushed by this run, or null when nothing changed (or on a dry run). */
  commit: string | null;
  subject: string | null;
  /** With a pushBranch that already carries exactly this change on the current head: that commit (nothing was pushed). */
  alreadyPushed: string | null;
  /** Where the commit went: pushBranch, or the checkout branch. */
  branch: string;
  changes: SetterChange[];
  problems: SetterProblem[];
  /** Picks not written because a revert on the branch holds their tag back (SPEC §4). */
  heldBack: HeldBackTag[];
  /** path → [before, after] for every file that would change; filled on dry runs. */
  diffs: Map<string, [string, string]>;
  pullRequest: PullRequestOutcome | null;
  pushAttempts: number;
}

/** One of the branch's recent commits, as status lists them. */
export interface RecentCommit {
  sha: string;
  subject: string;
  /** Committer time. */
  at: Date;
}

/** What a run read from the branch before it pushed anything: status shows it even when the push then fails. */
export interface BranchRead {
  /** The checkout branch's head the edit was made on. */
  head: string;
  /** Its last RECENT_COMMITS commits, newest first. */
  commits: RecentCommit[];
  /** Every marked field under `paths` with its value at `head`. */
  fields: MarkedField[];
  /** What this run means to write on `head`. */
  changes: SetterChange[];
  /** What it could not do in the files (unknown policies, files that do not parse, symlinks). */
  problems: SetterProblem[];
}

/** How many of the branch's commits status lists. */
export const RECENT_COMMITS = 10;

export interface RunAutomationOptions {
  stateDir: string;
  log: Logger;
  /** Every configured policy: markers naming one that has no pick yet are left alone quietly. */
  knownPolicies: ReadonlySet<string>;
  dryRun?: boolean;
  /** Base of the backoff between re-applying a push that lost a race; tests shrink it. */
  pushRetryDelayMs?: number;
  /** Where pullRequest.tokenEnv, TAGPILOT_*_API_URL and TAGPILOT_SIGNING_PASSPHRASE are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * Where the branch's history record is kept between runs (shared by replicas with Redis). Without
   * one, every run reads the branch's whole history again.
   */
  state?: StateStore;
  /** The digest of a tag that a revert hold made the pick of a digest-pinning policy. */
  digestOf?: (pick: ImagePick, tag: string) => Promise<string>;
  /** Timeouts of each request to the git server, and a signal that abandons them (the service stops). */
  http?: GitHttpClientOptions;
  /** Told what each attempt read, before it commits or pushes. */
  onRead?: (read: BranchRead) => void;
}

/** The edit of one head commit: new file contents and what changed. */
interface Edit {
  files: Map<string, string>;
  before: Map<string, string>;
  changes: SetterChange[];
  problems: SetterProblem[];
  fields: MarkedField[];
}

/** Runs `automation` with the current picks (keyed by policy name). */
export async function runAutomation(
  automation: AutomationConfig,
  picks: ReadonlyMap<string, RankedPick>,
  options: RunAutomationOptions,
): Promise<AutomationResult> {
  const gitdir = gitdirOf(options.stateDir, automation.name);
  return withGitdirLock(gitdir, async () => {
    const run = await prepare(automation, picks, options, gitdir);
    let rebuilt = false;
    let lastRejection = '';
    for (let attempt = 1; attempt <= MAX_PUSH_ATTEMPTS; attempt++) {
      let outcome: AutomationResult | { rejected: string };
      try {
        outcome = await attemptOnce(run, attempt);
      } catch (err) {
        // A clone whose files cannot be read is rebuilt once and the attempt made again from scratch.
        if (!(err instanceof TransientError && err.code === CORRUPT_CLONE) || rebuilt) throw err;
        run.log.warn({ err: err.message }, 'local clone is damaged; rebuilding it');
        rebuilt = true;
        await run.repo.discard();
        attempt--;
        continue;
      }
      if (!('rejected' in outcome)) return outcome;
      lastRejection = outcome.rejected;
      const delayMs = exponentialBackoff(run.baseDelayMs, attempt);
      run.log.warn({ branch: run.target, attempt, delayMs, reason: outcome.rejected }, 'push rejected (the branch moved); fetching and re-applying');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    throw new TransientError(
      `automation ${automation.name}: push to ${run.target} was rejected ${MAX_PUSH_ATTEMPTS} times${lastRejection ? ` (last: ${lastRejection})` : ''}`,
    );
  });
}

/** What every attempt of one run shares. */
interface Run {
  automation: AutomationConfig;
  picks: ReadonlyMap<string, RankedPick>;
  options: RunAutomationOptions;
  env: NodeJS.ProcessEnv;
  log: Logger;
  gitdir: string;
  /** pushBranch, or the checkout branch. */
  target: string;
  baseDelayMs: number;
  repo: GitRepository;
  memo: ScreenedBlobs;
  screen: BlobScreen;
  /** A fetch made ahead of this run (run-automation-clone.ts), taken by the first attempt instead of fetching. */
  fetchedAhead: TakenFetch['outcome'];
  template: CommitTemplate | undefined;
  signer: CommitSigner | undefined;
  pullRequestToken: string | undefined;
  /** Runs a call to the git server; a refusal of our credentials comes back naming the config key that holds them. */
  remote: <T>(work: () => Promise<T>) => Promise<T>;
}

/** Everything checked and loaded before the run fetches or pushes: bad config never fails after a push it would have described. */
async function prepare(
  automation: AutomationConfig,
  picks: ReadonlyMap<string, RankedPick>,
  options: RunAutomationOptions,
  gitdir: string,
): Promise<Run> {
  const { git } = automation;
  const env = options.env ?? process.env;
  const log = options.log.child({ automation: automation.name });
  const baseDelayMs = options.pushRetryDelayMs ?? 250;
  const screen = blobScreen(automation.update, picks);
  const ahead = await takeFetchAhead(gitdir, screen);
  const memo = ahead.memo ?? (await loadMemo(gitdir, screen));
  const repo = await openClone(automation, gitdir, screen, memo, { env, http: options.http, packCache: ahead.packCache });
  return {
    automation,
    picks,
    options,
    env,
    log,
    gitdir,
    target: git.pushBranch ?? git.branch,
    baseDelayMs,
    repo,
    memo,
    screen,
    fetchedAhead: ahead.outcome,
    // Handlebars loads only for an automation with a template.
    template: automation.commitMessage ? (await import('../git/commit-template.js')).compileCommitTemplate(automation.commitMessage) : undefined,
    signer: git.signingKeyFile && !options.dryRun ? await loadCommitSigner(git.signingKeyFile, env) : undefined,
    pullRequestToken: automation.pullRequest && !options.dryRun ? await pullRequestToken(automation, env) : undefined,
    remote: (work) =>
      work().catch((err: unknown) => {
        // A refusal names the automation and the key that holds its credentials: the fix, not just the symptom.
        if (!(err instanceof UnauthorizedError)) throw err;
        throw new UnauthorizedError(`automation ${automation.name}: ${err.message}: ${describeGitCredentials(automation)}`, { cause: err });
      }),
  };
}

/** One try: fetch the head, hold back reverted tags, edit, commit and push; `rejected` when someone pushed first. */
async function attemptOnce(run: Run, attempt: number): Promise<AutomationResult | { rejected: string }> {
  const { automation, repo, log, target } = run;
  const { git } = automation;
  const previous = await storedBranchRecord(run.options.state, automation.name);
  const { head, clone } = await run.remote(() => fetchForAttempt(run, previous));
  if (clone !== 'reused' && clone !== 'missing') log.info({ reason: clone }, 'cloned afresh');
  const { active, heldBack, fallbacks, recent } = await holdBackReverted(run, head, previous);
  const edit = await editHead(run, head, active, fallbacks);
  run.options.onRead?.({ head, commits: recent, fields: edit.fields, changes: edit.changes, problems: edit.problems });
  const result = (commit: string | null, subject: string | null): AutomationResult => ({
    automation: automation.name,
    commit,
    subject,
    alreadyPushed: null,
    branch: target,
    changes: edit.changes,
    problems: edit.problems,
    heldBack,
    diffs: new Map([...edit.files].map(([path, text]) => [path, [edit.before.get(path)!, text]])),
    pullRequest: null,
    pushAttempts: attempt,
  });
  for (const problem of edit.problems) log.warn({ file: problem.file, line: problem.line }, problem.message);
  for (const held of heldBack) log.info({ ...held }, 'tag held back: its commit was reverted');
  if (edit.changes.length === 0 || run.options.dryRun) return result(null, null);

  const changes = edit.changes.map(commitChange);
  const message = commitMessage(automation.name, changes, run.template, promotionNotes(run.picks, changes));
  const subject = message.split('\n', 1)[0]!;
  // The push's first request (the remote's refs) goes out while the commit is written and signed;
  // a review branch is looked up first, and may need no push at all.
  if (!git.pushBranch) repo.sendAdvertisementAhead('git-receive-pack');
  const commit = await repo.writeCommit(head, edit.files, message, git.author, run.signer);
  if (git.pushBranch) {
    const existing = await run.remote(() => repo.remoteBranchHead(target));
    if (existing && (await carriesSameChange(repo, existing, commit))) {
      log.debug({ commit: existing, branch: target }, 'review branch already up to date');
      return refreshPullRequest(run, { ...result(null, subject), alreadyPushed: existing }, message);
    }
  }
  // Never force the checkout branch; the review branch is ours and rebuilt from it every run.
  const pushed = await run.remote(() => repo.push(commit, target, { force: git.pushBranch !== undefined }));
  if (pushed.outcome === 'rejected') return { rejected: pushed.reason };
  log.info({ commit, branch: target, changes: edit.changes.length }, 'pushed');
  return refreshPullRequest(run, result(commit, subject), message);
}

/** Opens or updates the pull/merge request for the review branch, titled and described by the commit message. */
async function refreshPullRequest(run: Run, result: AutomationResult, message: string): Promise<AutomationResult> {
  const { automation, pullRequestToken: token } = run;
  if (!automation.pullRequest || token === undefined) return result;
  const title = message.split('\n', 1)[0]!;
  const body = message.slice(title.length).replace(/^\n+/, '').trimEnd();
  const spec = { gitUrl: automation.git.url, sourceBranch: run.target, targetBranch: automation.git.branch, title, body };
  // Imported here: a run without a pull request never loads the clients.
  const { upsertPullRequest } = await import('../git/pull-request.js');
  result.pullRequest = await upsertPullRequest(automation.pullRequest.provider, spec, token, { env: run.env }).catch((err: unknown) => {
    // As with git: the refusal names the automation and the variable holding the token.
    if (!(err instanceof UnauthorizedError)) throw err;
    const key = `automations[${automation.name}].pullRequest.tokenEnv ${automation.pullRequest!.tokenEnv}`;
    throw new UnauthorizedError(`automation ${automation.name}: ${err.message}: check ${key}`, { cause: err });
  });
  run.log.info({ ...result.pullRequest }, `pull request ${result.pullRequest.action}`);
  return result;
}

/** The pullRequest token from the environment, else a GitHub App's; missing is a config error, found before anything is pushed. */
async function pullRequestToken(automation: AutomationConfig, env: NodeJS.ProcessEnv): Promise<string> {
  const { provider, tokenEnv: name } = automation.pullRequest!;
  const auth = automation.git.auth;
  if (name === undefined && provider === 'github' && auth && 'githubApp' in auth) {
    const { githubAppToken } = await import('../git/github-app-token.js');
    return githubAppToken(auth.githubApp, automation.git.url, env);
  }
  if (name === undefined) throw new InputError(`automation ${automation.name}: pullRequest needs tokenEnv (or, with provider github, git.auth.githubApp)`);
  const token = env[name];
  if (!token) throw new InputError(`automation ${automation.name}: pullRequest.tokenEnv ${name} is not set`);
  return token;
}

/**
 * Takes the tags that reverts on the branch hold back out of each pick's candidates (SPEC §4): the
 * best tag not held is written instead, or nothing when every ranked candidate is held. The holds
 * come from the branch's whole history (branch-history.ts), kept in the state store between runs.
 */
async function holdBackReverted(
  run: Run,
  head: string,
  previous: BranchRecord | undefined,
): Promise<{ active: Map<string, ImagePick>; heldBack: HeldBackTag[]; fallbacks: Map<string, ReadonlySet<string>>; recent: RecentCommit[] }> {
  const { repo, log, picks, automation } = run;
  const state = run.options.state;
  const update = await updateBranchRecord(repo, automation.git.branch, head, redactUrl(automation.git.url), previous);
  if (update.deepened > 0) log.info({ commits: update.read, deepened: update.deepened }, 'read the branch history for reverts');
  if (state && update.record.heads[0] !== previous?.heads[0]) await state.put(historyKey(automation.name), update.record, Date.now());
  const recent = (await repo.history(head, RECENT_COMMITS)).map((c) => ({ sha: c.oid, subject: c.message.split('\n', 1)[0]!, at: new Date(c.time * 1000) }));

  const holds = findHeldBackTags(update.record.commits).held;
  const active = new Map<string, ImagePick>();
  const heldBack: HeldBackTag[] = [];
  /** policy → the held tags ranked above the one written: a file already on one of them is not moved down. */
  const fallbacks = new Map<string, ReadonlySet<string>>();
  for (const [policy, pick] of picks) {
    const held = new Map(holds.filter((h) => h.policy === policy && h.repository === pick.repository).map((h) => [h.tag, h]));
    const candidates = pick.candidates ?? [pick.tag];
    const chosen = candidates.find((tag) => !held.has(tag));
    const passedOver = candidates.slice(0, chosen === undefined ? candidates.length : candidates.indexOf(chosen));
    heldBack.push(...passedOver.map((tag) => held.get(tag)!));
    if (chosen === undefined) continue;
    if (chosen === pick.tag) {
      active.set(policy, pick);
      continue;
    }
    fallbacks.set(policy, new Set(passedOver));
    const digest = pick.digest === undefined ? undefined : await digestOf(run, pick, chosen);
    active.set(policy, { policy, repository: pick.repository, tag: chosen, ...(digest ? { digest } : {}) });
  }
  return { active, heldBack, fallbacks, recent };
}

/** The first attempt starts from the fetch made ahead of the run, if there was one; every other attempt fetches. */
async function fetchForAttempt(run: Run, previous: BranchRecord | undefined): Promise<FetchedBranch> {
  const ahead = run.fetchedAhead;
  run.fetchedAhead = undefined;
  if (!ahead) return fetchBranch(run.repo, run.automation, previous);
  if ('failure' in ahead) throw ahead.failure;
  await run.repo.adoptFetchedHead(run.automation.git.branch, ahead.fetched.head);
  return ahead.fetched;
}

async function digestOf(run: Run, pick: ImagePick, tag: string): Promise<string> {
  if (!run.options.digestOf) throw new InputError(`policy ${pick.policy}: ${tag} needs its digest, and this run cannot look it up`);
  return run.options.digestOf(pick, tag);
}

/** Whether `existing` (the review branch head) is our change on the same parent, so pushing again would only churn CI. */
async function carriesSameChange(repo: GitRepository, existing: string, ours: string): Promise<boolean> {
  const [theirs, mine] = await Promise.all([repo.readCommit(existing), repo.readCommit(ours)]);
  return theirs !== null && mine !== null && theirs.tree === mine.tree && theirs.parents.join() === mine.parents.join();
}

function commitMessage(automation: string, changes: CommitChange[], template: CommitTemplate | undefined, promotions: PromotionNote[]): string {
  if (!template) return defaultCommitMessage(automation, changes, promotions);
  return withTrailers(template.render({ automation, changes, images: changedImages(changes) }), automation, changes, promotions);
}

/**
 * Applies the picks to every manifest under `paths` at `head`, reading only blobs the memo cannot rule
 * out (those the fetch brought from the memo's copies). Where a pick is a fallback below held tags, a
 * file already on one of those keeps it: a person put it there after the revert, and tagpilot only
 * moves files that are behind.
 */
async function editHead(run: Run, head: string, picks: ReadonlyMap<string, ImagePick>, fallbacks: ReadonlyMap<string, ReadonlySet<string>>): Promise<Edit> {
  const { repo, automation, memo, screen } = run;
  const edit: Edit = { files: new Map(), before: new Map(), changes: [], problems: [], fields: [] };
  const listing = await repo.listFiles(head, automation.paths, isManifestPath, {
    onSymlink: (path) => edit.problems.push({ file: path, line: 0, message: 'skipped: a symlink (tagpilot does not follow symlinks)' }),
    memo,
    // Folders of nothing but irrelevant files are passed over, unless the memo is due a pruning.
    passOver: !memo.outgrown,
  });
  const options = { mode: automation.update, knownPolicies: run.options.knownPolicies };
  const unread = listing.files.filter((file) => !memo.isIrrelevant(file.oid));
  await forEachLimited(unread, READ_CONCURRENCY, async (file: TreeFile) => {
    const bytes = memo.relevantContent(file.oid) ?? (await repo.readBlob(file.oid));
    if (screen.ignores(bytes)) {
      memo.markIrrelevant(file.oid);
      return;
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (!isUtf8(bytes)) {
      // Decoding replaced some bytes, so writing the text back would change more than the image.
      edit.problems.push({ file: file.path, line: 1, message: 'skipped: not valid UTF-8, so it cannot be edited byte for byte' });
      return;
    }
    let result = applySetters(file.path, text, picks, options);
    const ahead = new Set(result.changes.filter((c) => fallbacks.get(c.policy)?.has(tagOf(c))).map((c) => c.policy));
    if (ahead.size > 0) result = applySetters(file.path, text, new Map([...picks].filter(([policy]) => !ahead.has(policy))), options);
    edit.problems.push(...result.problems);
    edit.fields.push(...result.fields);
    if (result.changes.length === 0 || result.text === text) return;
    edit.files.set(file.path, result.text);
    edit.before.set(file.path, text);
    edit.changes.push(...result.changes);
  });
  await memo.save(listing.complete ? listing.seen : undefined);
  edit.changes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  edit.problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  edit.fields.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return edit;
}

async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The tag a change moves away from (the file's current one). */
function tagOf(change: SetterChange): string {
  const version = versionOf(change.from, change.field);
  const at = version.indexOf('@');
  return at < 0 ? version : version.slice(0, at);
}
