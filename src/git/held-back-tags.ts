// Reverts are respected (SPEC §4): when a commit on the branch reverts a tagpilot commit (`git
// revert` writes "This reverts commit <sha>."), the tags that commit introduced are not written
// again for their policy. A revert that is itself reverted no longer counts.
import { readTagpilotCommit } from './commit-message.js';

/** A commit as the scan needs it. */
export interface ScannedCommit {
  oid: string;
  message: string;
}

/** A tag a policy must not write again, and why. */
export interface HeldBackTag {
  policy: string;
  repository: string;
  tag: string;
  /** The tagpilot commit that introduced the tag. */
  commit: string;
  /** The commit that reverted it. */
  revertedBy: string;
}

/** A revert the scan could not follow because the reverted commit is not in the history it was given. */
export interface UntracedRevert {
  revert: string;
  reverted: string;
}

const REVERTS = /This reverts commit ([0-9a-f]{40})/g;

/** Whether `message` is a `git revert`'s (of anything); of a line, whether it is the one findHeldBackTags reads. */
export function isRevert(message: string): boolean {
  return /This reverts commit [0-9a-f]{40}/.test(message);
}

/**
 * The tags held back by the reverts in `history` (any order); the commits whose revert was itself
 * reverted (`released`: holds remembered from earlier scans end there); and the reverts whose target
 * is not in `history`.
 */
export function findHeldBackTags(history: readonly ScannedCommit[]): { held: HeldBackTag[]; released: string[]; untraced: UntracedRevert[] } {
  const byOid = new Map(history.map((c) => [c.oid, c]));
  /** reverted commit → the commits that revert it */
  const revertedBy = new Map<string, string[]>();
  const untraced: UntracedRevert[] = [];
  for (const commit of history) {
    for (const [, target] of commit.message.matchAll(REVERTS)) {
      const list = revertedBy.get(target!) ?? [];
      list.push(commit.oid);
      revertedBy.set(target!, list);
    }
  }
  // A commit is undone when some revert of it is not itself undone. Reverts are newer than what they
  // revert, so the recursion ends; the memo keeps it linear.
  const undone = new Map<string, boolean>();
  const isUndone = (oid: string, depth = 0): boolean => {
    const known = undone.get(oid);
    if (known !== undefined) return known;
    const result = depth < 64 && (revertedBy.get(oid) ?? []).some((r) => !isUndone(r, depth + 1));
    undone.set(oid, result);
    return result;
  };

  const held: HeldBackTag[] = [];
  const released: string[] = [];
  for (const [target, reverts] of revertedBy) {
    // Known even when the target itself is out of sight: a hold remembered from an earlier scan ends here.
    if (!isUndone(target)) {
      released.push(target);
      continue;
    }
    const reverted = byOid.get(target);
    if (!reverted) {
      // Only a revert that still counts needs its target; one that was itself reverted is moot.
      for (const revert of reverts) if (!isUndone(revert)) untraced.push({ revert, reverted: target });
      continue;
    }
    const ours = readTagpilotCommit(reverted.message);
    if (!ours) continue;
    const by = reverts.find((r) => !isUndone(r))!;
    for (const change of ours.changes) {
      const tag = tagOf(change.to);
      if (tag !== null) held.push({ policy: change.policy, repository: change.repository, tag, commit: target, revertedBy: by });
    }
  }
  return { held, released, untraced };
}

/** The tag in a recorded version (`1.2.3`, `1.2.3@sha256:…`); null for a digest-only change. */
function tagOf(version: string): string | null {
  if (version.startsWith('sha256:')) return null;
  const at = version.indexOf('@');
  return at < 0 ? version : version.slice(0, at);
}
