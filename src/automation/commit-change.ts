// How a setter's change reads in commit messages, notifications and status: versions, not whole
// references. A file of its own so that status and notifications need not load the git side.
import type { CommitChange } from '../git/commit-message.js';
import type { SetterChange } from '../update/apply-setters.js';
import { parseImageReference } from '../update/parse-image-reference.js';

/** A change as commit messages and status show it: versions (`1.2.3`, `1.2.3@sha256:…`), not whole references. */
export function commitChange(change: SetterChange): CommitChange {
  const { file, policy, repository } = change;
  return { file, policy, repository, from: versionOf(change.from, change.field), to: versionOf(change.to, change.field) };
}

/** The version a field's value names: an image reference's tag (and digest); a tag or digest field as it is. */
export function versionOf(value: string, field: SetterChange['field']): string {
  if (field !== 'image') return value;
  const ref = parseImageReference(value);
  if (!ref?.tag) return ref?.digest ?? value;
  return ref.digest ? `${ref.tag}@${ref.digest}` : ref.tag;
}
