// The default commit message (SPEC §4): a subject people scan, one line per change, the files, a trailer.

/** One edited value, as the commit message lists it. */
export interface CommitChange {
  file: string;
  policy: string;
  repository: string;
  from: string;
  to: string;
}

/** An image the commit moves to, deduplicated across files. */
export interface CommitImage {
  repository: string;
  tag: string;
}

export const AUTOMATION_TRAILER = 'Tagpilot-Automation';

/** The distinct images a change list moves to, in first-seen order. */
export function changedImages(changes: readonly CommitChange[]): CommitImage[] {
  const seen = new Map<string, CommitImage>();
  for (const c of changes) {
    const key = `${c.repository}\0${c.to}`;
    if (!seen.has(key)) seen.set(key, { repository: c.repository, tag: c.to });
  }
  return [...seen.values()];
}

/** `Update <image> to <tag>` or `Update N images`, the change lines, the files and the trailer. */
export function defaultCommitMessage(automation: string, changes: readonly CommitChange[]): string {
  const images = changedImages(changes);
  const subject =
    images.length === 1 ? `Update ${images[0]!.repository} to ${images[0]!.tag}` : `Update ${images.length} images`;
  const lines = unique(changes.map((c) => `- ${c.policy}: ${c.repository} ${c.from} -> ${c.to}`));
  const files = unique(changes.map((c) => `- ${c.file}`));
  return [subject, '', ...lines, '', 'Files:', ...files, '', `${AUTOMATION_TRAILER}: ${automation}`, ''].join('\n');
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}
