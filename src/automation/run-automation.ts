// One automation run (SPEC §3, §4): fetch the branch, edit the files under `paths` from the
// object store, commit, push; a push rejected because someone else pushed is retried here, on the
// new head, a bounded number of times.
import { join } from 'node:path';
import type { AutomationConfig } from '../config/schema.js';
import { TransientError } from '../errors.js';
import { defaultCommitMessage, type CommitChange } from '../git/commit-message.js';
import { GitRepository, type TreeFile } from '../git/git-repository.js';
import { applySetters, type ImagePick, type SetterChange, type SetterProblem } from '../update/apply-setters.js';
import { isManifestPath } from '../update/is-manifest-path.js';
import { parseImageReference } from '../update/parse-image-reference.js';
import type { Logger } from '../log.js';

export const MAX_PUSH_ATTEMPTS = 5;
const READ_CONCURRENCY = 32;

/** What one run did. */
export interface AutomationResult {
  automation: string;
  /** The pushed commit, or null when nothing changed (or on a dry run). */
  commit: string | null;
  subject: string | null;
  changes: SetterChange[];
  problems: SetterProblem[];
  /** path → [before, after] for every file that would change; filled on dry runs. */
  diffs: Map<string, [string, string]>;
  pushAttempts: number;
}

/** The edit of one head commit: new file contents and what changed. */
interface Edit {
  files: Map<string, string>;
  before: Map<string, string>;
  changes: SetterChange[];
  problems: SetterProblem[];
}

/** Runs `automation` with the current picks (keyed by policy name). */
export async function runAutomation(
  automation: AutomationConfig,
  picks: ReadonlyMap<string, ImagePick>,
  options: {
    stateDir: string;
    log: Logger;
    /** Every configured policy: markers naming one that has no pick yet are left alone quietly. */
    knownPolicies: ReadonlySet<string>;
    dryRun?: boolean;
    pushRetryDelayMs?: number;
  },
): Promise<AutomationResult> {
  const { git } = automation;
  const repo = new GitRepository(
    join(options.stateDir, 'git', automation.name),
    git.url,
    git.auth ? { username: git.auth.username, password: git.auth.password ?? '' } : undefined,
  );
  const log = options.log.child({ automation: automation.name });
  const target = git.pushBranch ?? git.branch;

  for (let attempt = 1; attempt <= MAX_PUSH_ATTEMPTS; attempt++) {
    const head = await repo.fetchHead(git.branch);
    const edit = await editHead(repo, head, automation, picks, options.knownPolicies);
    const result = (commit: string | null, subject: string | null): AutomationResult => ({
      automation: automation.name,
      commit,
      subject,
      changes: edit.changes,
      problems: edit.problems,
      diffs: new Map([...edit.files].map(([path, text]) => [path, [edit.before.get(path)!, text]])),
      pushAttempts: attempt,
    });
    for (const problem of edit.problems) log.warn({ file: problem.file, line: problem.line }, problem.message);
    if (edit.changes.length === 0 || options.dryRun) return result(null, null);

    const message = defaultCommitMessage(automation.name, edit.changes.map(commitChange));
    const commit = await repo.writeCommit(head, edit.files, message, git.author);
    // Never force the checkout branch; the review branch is ours and rebuilt from it every run.
    const outcome = await repo.push(commit, target, { force: git.pushBranch !== undefined });
    if (outcome === 'pushed') {
      log.info({ commit, branch: target, changes: edit.changes.length }, 'pushed');
      return result(commit, message.split('\n', 1)[0]!);
    }
    const delay = (options.pushRetryDelayMs ?? 250) * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    log.warn({ branch: target, attempt, delayMs: Math.round(delay) }, 'push rejected (the branch moved); fetching and re-applying');
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new TransientError(`automation ${automation.name}: push to ${target} was rejected ${MAX_PUSH_ATTEMPTS} times`);
}

/** Applies the picks to every manifest under `paths` at `head`, reading blobs from the object store. */
async function editHead(
  repo: GitRepository,
  head: string,
  automation: AutomationConfig,
  picks: ReadonlyMap<string, ImagePick>,
  knownPolicies: ReadonlySet<string>,
): Promise<Edit> {
  const files = await repo.listFiles(head, automation.paths, isManifestPath);
  const edit: Edit = { files: new Map(), before: new Map(), changes: [], problems: [] };
  const options = { mode: automation.update, knownPolicies };
  await forEachLimited(files, READ_CONCURRENCY, async (file: TreeFile) => {
    const bytes = await repo.readBlob(file.oid);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const result = applySetters(file.path, text, picks, options);
    edit.problems.push(...result.problems);
    if (result.changes.length === 0 || result.text === text) return;
    edit.files.set(file.path, result.text);
    edit.before.set(file.path, text);
    edit.changes.push(...result.changes);
  });
  edit.changes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  edit.problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return edit;
}

async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A change as the commit message lists it: versions (`1.2.3`, `1.2.3@sha256:…`), not whole references. */
function commitChange(change: SetterChange): CommitChange {
  const { file, policy, repository } = change;
  return { file, policy, repository, from: versionOf(change.from, change.field), to: versionOf(change.to, change.field) };
}

function versionOf(value: string, field: SetterChange['field']): string {
  if (field !== 'image') return value;
  const ref = parseImageReference(value);
  if (!ref?.tag) return ref?.digest ?? value;
  return ref.digest ? `${ref.tag}@${ref.digest}` : ref.tag;
}
