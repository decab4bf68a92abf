// Commit messages (SPEC §4): the default one people scan, and reading our own commits back, which
// is how a `git revert` of one of them is traced to the tags it introduced.

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

/** A change as read back from a commit message (the file is not needed to hold a tag back). */
export type RecordedChange = Omit<CommitChange, 'file'>;

/** A change that promotes a tag another automation committed (SPEC §2 promotion). */
export interface PromotionNote {
  repository: string;
  tag: string;
  /** The source automation. */
  from: string;
  /** The source's commit that wrote the tag, for a reviewer to follow back. */
  commit: string;
  /** How long it soaked there, as people read it (`26h`). */
  after: string;
}

export const AUTOMATION_TRAILER = 'Tagpilot-Automation';
/** `<source automation>@<sha>` of each promoted tag. */
export const PROMOTED_TRAILER = 'Tagpilot-Promoted-From';
/** Added under a templated message, whose wording we do not control, so its changes can be read back. */
export const CHANGE_TRAILER = 'Tagpilot-Change';

// The policy is its id, `NAME` or `NS:NAME`, so it may hold a colon before the one that ends it.
const CHANGE_LINE = /^- (\S+): (\S+) (\S+) -> (\S+)$/;
const CHANGE_TRAILER_LINE = new RegExp(`^${CHANGE_TRAILER}: (\\S+) (\\S+) (\\S+) -> (\\S+)$`);
const AUTOMATION_TRAILER_LINE = new RegExp(`^${AUTOMATION_TRAILER}: (\\S+)\\s*$`);

/** The distinct images a change list moves to, in first-seen order. */
export function changedImages(changes: readonly CommitChange[]): CommitImage[] {
  const seen = new Map<string, CommitImage>();
  for (const c of changes) {
    const key = `${c.repository}\0${c.to}`;
    if (!seen.has(key)) seen.set(key, { repository: c.repository, tag: c.to });
  }
  return [...seen.values()];
}

/**
 * `Update <image> to <tag>` (`Promote <image> <tag> from <source> after <26h>`) or `Update N images`,
 * the change lines, the promotions, the files and the trailers.
 */
export function defaultCommitMessage(automation: string, changes: readonly CommitChange[], promotions: readonly PromotionNote[] = []): string {
  const images = changedImages(changes);
  const only = images.length === 1 ? images[0]! : undefined;
  const promoted = only && promotions.find((p) => p.repository === only.repository && only.tag.split('@', 1)[0] === p.tag);
  const subject = promoted
    ? `Promote ${promoted.repository} ${promoted.tag} from ${promoted.from} after ${promoted.after}`
    : only
      ? `Update ${only.repository} to ${only.tag}`
      : `Update ${images.length} images`;
  const lines = unique(changes.map(changeLine));
  const files = unique(changes.map((c) => `- ${c.file}`));
  const promotedLines = promotions.map((p) => `- ${p.repository} ${p.tag} from ${p.from} after ${p.after} (${p.commit.slice(0, 12)})`);
  return [
    subject,
    '',
    ...lines,
    '',
    ...(promotedLines.length > 0 ? ['Promoted:', ...promotedLines, ''] : []),
    'Files:',
    ...files,
    '',
    `${AUTOMATION_TRAILER}: ${automation}`,
    ...promotedTrailers(promotions),
    '',
  ].join('\n');
}

function promotedTrailers(promotions: readonly PromotionNote[]): string[] {
  return unique(promotions.map((p) => `${PROMOTED_TRAILER}: ${p.from}@${p.commit}`));
}

/**
 * A templated message with the trailers tagpilot reads back appended unless the template wrote them:
 * without them a revert of this commit could not be traced to its tags.
 */
export function withTrailers(message: string, automation: string, changes: readonly CommitChange[], promotions: readonly PromotionNote[] = []): string {
  const text = message.replace(/\s+$/, '');
  const present = readTagpilotCommit(text);
  const trailers: string[] = [];
  if (present?.automation !== automation) trailers.push(`${AUTOMATION_TRAILER}: ${automation}`);
  if (!present || present.changes.length === 0) {
    trailers.push(...unique(changes.map((c) => `${CHANGE_TRAILER}: ${c.policy} ${c.repository} ${c.from} -> ${c.to}`)));
  }
  trailers.push(...promotedTrailers(promotions).filter((t) => !text.includes(t)));
  if (trailers.length === 0) return `${text}\n`;
  // A trailer block is the last paragraph; join one if the message already ends with trailers.
  const lastParagraph = text.slice(text.lastIndexOf('\n\n') + 2);
  const endsWithTrailers = text.includes('\n\n') && lastParagraph.split('\n').every((l) => /^[A-Za-z0-9-]+: /.test(l));
  return `${text}${endsWithTrailers ? '\n' : '\n\n'}${trailers.join('\n')}\n`;
}

/** Whether readTagpilotCommit reads `line`: the lines of a message that say what tagpilot wrote. */
export function isTagpilotLine(line: string): boolean {
  return AUTOMATION_TRAILER_LINE.test(line) || CHANGE_LINE.test(line) || CHANGE_TRAILER_LINE.test(line);
}

/** The automation and changes of a commit tagpilot wrote, or null when the message is not one of ours. */
export function readTagpilotCommit(message: string): { automation: string; changes: RecordedChange[] } | null {
  let automation: string | undefined;
  const changes: RecordedChange[] = [];
  for (const line of message.split('\n')) {
    const trailer = AUTOMATION_TRAILER_LINE.exec(line);
    if (trailer) automation = trailer[1]!;
    const change = CHANGE_LINE.exec(line) ?? CHANGE_TRAILER_LINE.exec(line);
    if (change) changes.push({ policy: change[1]!, repository: change[2]!, from: change[3]!, to: change[4]! });
  }
  return automation === undefined ? null : { automation, changes };
}

function changeLine(c: CommitChange): string {
  return `- ${c.policy}: ${c.repository} ${c.from} -> ${c.to}`;
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}
