// The IO of a promotion (SPEC §2): bring the source automation's branch record up to the branch's
// current head, so that any replica, a fresh stateDir or a `reconcile` in CI reads the same history.
// The source's own clone is used (under its lock), wherever its repository and branch are.
import { join } from 'node:path';
import type { AutomationConfig } from '../config/schema.js';
import { errorMessage, TagpilotError, TransientError } from '../errors.js';
import { updateBranchRecord, type BranchRecord } from '../git/branch-history.js';
import type { GitHttpClientOptions } from '../git/git-http-client.js';
import { GitRepository } from '../git/git-repository.js';
import { gitLogin } from '../git/git-credentials.js';
import { withGitdirLock } from '../git/gitdir-lock.js';
import { redactUrl } from '../git/redact-url.js';
import type { StateStore } from '../state/state-store.js';

/**
 * Records of this process by gitdir, for when no state store is given: each use still brings the
 * record up to the fetched head, so it only saves re-reading the history below the heads it covers.
 */
const remembered = new Map<string, BranchRecord>();

export interface SourceRecordOptions {
  stateDir: string;
  /** Where `history/<source>` is kept (the key runAutomation keeps it under); without one the clone is read afresh. */
  state?: StateStore | undefined;
  http?: GitHttpClientOptions | undefined;
  /** Where the source's credentials (passwordEnv, an SSH key's passphrase, a GitHub App) are read. */
  env?: NodeJS.ProcessEnv | undefined;
}

/**
 * The history record of `source`'s branch at its current head. A failure to fetch or read it is
 * thrown (transient unless already classified), never taken as "nothing to promote".
 */
export async function readSourceRecord(source: AutomationConfig, options: SourceRecordOptions): Promise<BranchRecord> {
  const gitdir = join(options.stateDir, 'git', source.name);
  const key = `history/${source.name}`;
  const { git } = source;
  try {
    return await withGitdirLock(gitdir, async () => {
      const repo = new GitRepository(gitdir, git.url, {
        ...(await gitLogin(git, options.env ?? process.env)),
        http: options.http,
      });
      const { head } = await repo.fetchHead(git.branch);
      const previous = options.state ? (await options.state.get<BranchRecord>([key])).get(key)?.value : remembered.get(gitdir);
      if (previous?.heads[0] === head && previous.remote === redactUrl(git.url) && previous.branch === git.branch) return previous;
      const { record } = await updateBranchRecord(repo, git.branch, head, redactUrl(git.url), previous);
      if (options.state) await options.state.put(key, record, Date.now());
      else remembered.set(gitdir, record);
      return record;
    });
  } catch (err) {
    // A refusal already classified as permanent (401, 404) stays so; anything else is worth retrying.
    if (err instanceof TagpilotError && !(err instanceof TransientError)) throw err;
    const message = `promotion source ${source.name}: cannot read ${git.branch} of ${redactUrl(git.url)}: ${errorMessage(err)}`;
    throw new TransientError(message, { cause: err });
  }
}
