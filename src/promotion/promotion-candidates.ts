// SPEC §2 promotion, decided from the source branch's history alone: which tags the source automation
// committed for a repository and kept on its branch for at least the soak, not reverted there. Pure:
// the record (branch-history.ts) and the clock are the caller's.
import type { RecordedCommit } from '../git/branch-history.js';
import { readTagpilotCommit, type RecordedChange } from '../git/commit-message.js';
import { findHeldBackTags } from '../git/held-back-tags.js';

/** A tag that soaked long enough in the source. */
export interface PromotableTag {
  tag: string;
  /** When the source committed it (ms since the epoch). */
  since: number;
  /** How long it stayed: to now, or to the commit that replaced it. */
  soakedMs: number;
  /** The source's commit that wrote it (the trailer of the promoting commit names it). */
  commit: string;
}

/** A tag on the source branch now that has not soaked long enough yet. */
export interface WaitingTag extends PromotableTag {
  leftMs: number;
}

export interface PromotionCandidates {
  eligible: PromotableTag[];
  waiting: WaitingTag[];
  /** The earliest time (ms) a waiting tag becomes eligible, or null when none waits. */
  nextDue: number | null;
}

export interface PromotionQuery {
  /** The automation whose commits count; others sharing its branch are not the source. */
  source: string;
  repository: string;
  soakMs: number;
  now: number;
}

/** One stretch a tag spent on the branch, from a commit of the source to its replacement (or now). */
interface Stay {
  tag: string;
  commit: string;
  start: number;
  end: number | null;
}

/** The eligible and the waiting tags of `query.repository`, from the source branch's `commits` (oldest first). */
export function promotionCandidates(commits: readonly RecordedCommit[], query: PromotionQuery): PromotionCandidates {
  const { held } = findHeldBackTags(commits);
  const undone = new Set(held.map((h) => h.commit));
  const reverted = new Set(held.filter((h) => h.repository === query.repository).map((h) => h.tag));

  /** The stays of each policy of the source on this repository, oldest first. */
  const open = new Map<string, Stay[]>();
  const stays: Stay[] = [];
  const ordered = [...commits].sort((a, b) => a.time - b.time);
  for (const commit of ordered) {
    if (undone.has(commit.oid)) continue;
    const ours = readTagpilotCommit(commit.message);
    if (!ours || ours.automation !== query.source) continue;
    const at = commit.time * 1000;
    for (const change of ours.changes) {
      if (change.repository !== query.repository) continue;
      const tag = tagOf(change);
      if (tag === null) continue;
      const current = open.get(change.policy) ?? [];
      // A commit of the same policy that moves to another tag replaces every tag it had written.
      if (current.some((s) => s.tag === tag)) continue;
      for (const stay of current) stay.end = at;
      const stay: Stay = { tag, commit: commit.oid, start: at, end: null };
      open.set(change.policy, [stay]);
      stays.push(stay);
    }
  }

  const eligible = new Map<string, PromotableTag>();
  const waiting = new Map<string, WaitingTag>();
  for (const stay of stays) {
    if (reverted.has(stay.tag)) continue;
    const soakedMs = Math.max(0, (stay.end ?? query.now) - stay.start);
    const entry = { tag: stay.tag, since: stay.start, soakedMs, commit: stay.commit };
    if (soakedMs >= query.soakMs) {
      if (!eligible.has(stay.tag)) eligible.set(stay.tag, entry);
    } else if (stay.end === null) {
      const before = waiting.get(stay.tag);
      if (!before || before.since > entry.since) waiting.set(stay.tag, { ...entry, leftMs: query.soakMs - soakedMs });
    }
  }
  for (const tag of eligible.keys()) waiting.delete(tag);
  const waitingList = [...waiting.values()].sort((a, b) => a.leftMs - b.leftMs || (a.tag < b.tag ? -1 : 1));
  return {
    eligible: [...eligible.values()].sort((a, b) => a.since - b.since || (a.tag < b.tag ? -1 : 1)),
    waiting: waitingList,
    nextDue: waitingList.length > 0 ? query.now + waitingList[0]!.leftMs : null,
  };
}

/** The tag of a recorded version (`1.2.3`, `1.2.3@sha256:…`); null for a digest-only change. */
function tagOf(change: RecordedChange): string | null {
  const version = change.to;
  if (version.startsWith('sha256:')) return null;
  const at = version.indexOf('@');
  return at < 0 ? version : version.slice(0, at);
}
