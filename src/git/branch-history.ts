// What a branch's whole history says about tagpilot's commits (SPEC §4 "Reverts are respected",
// §2 promotion): every commit tagpilot wrote and every `git revert`, with their times, read once
// and kept in the state store, so a revert 10,000 commits back holds for any replica, an empty
// stateDir or a shallow clone. A run reads only the commits since the heads the record covers;
// with no record (or a history rewritten under it) it reads the branch to its root, deepening the
// clone as it goes. History that cannot be read is an error, never "no revert".
import { TransientError } from '../errors.js';
import { isTagpilotLine, readTagpilotCommit } from './commit-message.js';
import type { GitRepository, HistoryCommit } from './git-repository.js';
import { isRevert } from './held-back-tags.js';

/** A commit worth remembering: one tagpilot wrote, or a revert (of anything: a revert of a revert releases a hold). */
export interface RecordedCommit {
  oid: string;
  /** Committer time, seconds since the epoch. */
  time: number;
  /**
   * The lines of its message that readTagpilotCommit and findHeldBackTags read, in order (records
   * made by earlier releases hold whole messages, which read the same).
   */
  message: string;
}

/** What the history of `branch` at `remote` holds, as far back as its root, up to `heads`. */
export interface BranchRecord {
  remote: string;
  branch: string;
  /** Recent heads whose every ancestor has been read: the next read stops at any of them. */
  heads: string[];
  /** Tagpilot's commits and reverts, oldest first. */
  commits: RecordedCommit[];
}

/** What one update read. */
export interface BranchHistoryUpdate {
  record: BranchRecord;
  /** Commits read from the clone (not the number recorded). */
  read: number;
  /** Times the clone was deepened to reach further back. */
  deepened: number;
}

/** Heads remembered as stopping points: a few, so that a branch reset to a recent head still stops early. */
const KEPT_HEADS = 8;
/** Commits fetched by the first deepening; each further one doubles. */
const FIRST_DEEPEN = 256;
/** The longest message read: ours are a few lines per change, a revert names its target near the top. */
const MAX_MESSAGE = 16_384;

/**
 * Brings `previous` up to `head`: reads the commits `previous` does not cover, deepening the clone
 * where its shallow boundary cuts the history short, and returns the record to store.
 */
export async function updateBranchRecord(
  repo: GitRepository,
  branch: string,
  head: string,
  remote: string,
  previous: BranchRecord | undefined,
): Promise<BranchHistoryUpdate> {
  const known = previous && coversBranch(previous, remote, branch) ? previous : undefined;
  const stop = new Set(known?.heads ?? []);
  const recorded = new Map((known?.commits ?? []).map((c) => [c.oid, c]));
  const seen = new Set<string>();
  let frontier = [head];
  let read = 0;
  let deepened = 0;
  let deepenBy = FIRST_DEEPEN;
  /** Commits still missing after the last deepening: if they stay missing, the server will not give them. */
  let stillMissing = new Set<string>();
  while (frontier.length > 0) {
    const wanted = frontier.filter((oid) => !stop.has(oid) && !seen.has(oid));
    frontier = [];
    const commits = await Promise.all(wanted.map(async (oid) => [oid, await repo.readCommit(oid)] as const));
    const missing: string[] = [];
    for (const [oid, commit] of commits) {
      if (!commit) {
        missing.push(oid);
        continue;
      }
      seen.add(oid);
      read++;
      if (isWorthRecording(commit)) recorded.set(oid, { oid, time: commit.time, message: recordedLines(commit.message.slice(0, MAX_MESSAGE)) });
      frontier.push(...commit.parents);
    }
    if (missing.length === 0) continue;
    const stuck = missing.find((oid) => stillMissing.has(oid));
    if (stuck) {
      throw new TransientError(`${remote}: cannot read the history of ${branch}: commit ${stuck} stays missing after deepening the clone`);
    }
    await repo.deepen(branch, deepenBy);
    deepened++;
    deepenBy *= 2;
    stillMissing = new Set(missing);
    frontier.push(...missing);
  }
  const record: BranchRecord = {
    remote,
    branch,
    heads: [head, ...(known?.heads ?? []).filter((h) => h !== head)].slice(0, KEPT_HEADS),
    commits: [...recorded.values()].sort((a, b) => a.time - b.time || (a.oid < b.oid ? -1 : 1)),
  };
  return { record, read, deepened };
}

/** Whether `record` is of this branch of this remote: only then does it spare reading the history below its heads. */
export function coversBranch(record: BranchRecord, remote: string, branch: string): boolean {
  return record.remote === remote && record.branch === branch;
}

function isWorthRecording(commit: HistoryCommit): boolean {
  return isRevert(commit.message) || readTagpilotCommit(commit.message) !== null;
}

/**
 * What the record keeps of a message: only the lines it is read for. The record is stored again
 * whole each time the branch moves, and grows by one entry per tagpilot commit for ever; a default
 * message's subject and list of files (~0.9 KB an entry for 20 files, against ~160 bytes kept) made
 * it grow five or six times as fast.
 */
function recordedLines(message: string): string {
  return message
    .split('\n')
    .filter((line) => isTagpilotLine(line) || isRevert(line))
    .join('\n');
}
