// What tagpilot tells people (SPEC §1 notifications[].events). These are also the `webhook` type's JSON
// body, versioned and documented in docs/notifications.md: add fields, never rename or remove them.
import type { NotificationConfig } from '../config/schema.js';

/** One file edit of a commit, as in commit messages. */
export interface NotifiedChange {
  file: string;
  policy: string;
  repository: string;
  from: string;
  to: string;
}

/** A commit an automation pushed. */
export interface CommitEvent {
  type: 'commit';
  automation: string;
  commit: { sha: string; subject: string; branch: string };
  changes: NotifiedChange[];
  /** The pull/merge request the commit is on, with pushBranch + pullRequest. */
  pullRequest: { url: string; number: number; action: 'created' | 'updated' | 'unchanged' } | null;
}

/** The first failure of a streak: an automation run, or a scan of an image (exactly one of them is set). */
export interface FailureEvent {
  type: 'failure';
  automation: string | null;
  image: string | null;
  error: string;
  /** When the streak began (ISO 8601). */
  since: string;
}

/** The first success after a failure streak. */
export interface RecoveredEvent {
  type: 'recovered';
  automation: string | null;
  image: string | null;
  /** When the streak began (ISO 8601). */
  since: string;
  /** Failed attempts in the streak. */
  failures: number;
  /** The last error of the streak. */
  lastError: string;
}

/** A revert held a tag back: the policy's pick is not written to this automation (once per hold). */
export interface HeldEvent {
  type: 'held';
  automation: string;
  policy: string;
  repository: string;
  tag: string;
  /** The tagpilot commit that introduced the tag, and the commit that reverted it. */
  commit: string;
  revertedBy: string;
}

/** A tag waits to be promoted: it soaks in the `from` automation until `readyAt` (SPEC §2 promotion). */
export interface PromotionWaitingEvent {
  type: 'promotion-waiting';
  automation: string;
  policy: string;
  repository: string;
  tag: string;
  /** The automation the tag must soak in. */
  from: string;
  /** How long it has soaked, and how long it must (seconds). */
  soakedSeconds: number;
  soakSeconds: number;
  /** When it becomes a candidate (ISO 8601). */
  readyAt: string;
}

export type NotificationEvent = CommitEvent | FailureEvent | RecoveredEvent | HeldEvent | PromotionWaitingEvent;
export type NotificationEventType = NotificationConfig['events'][number];
