// The write step (SPEC §3): YAML text and picks in, text and changes out, no IO. Edits are splices
// of the original string at CST token offsets, so every byte outside a changed scalar survives:
// comments, quoting, indentation, `---`/`...`, CRLF, a BOM, a missing final newline.
import { CST } from 'yaml';
import { describeDocument } from './describe-document.js';
import type { DocumentRef } from './describe-document.js';
import { findAutoTargets } from './find-auto-targets.js';
import { findMarkerTargets } from './find-marker-targets.js';
import { readYamlStream } from './read-yaml-stream.js';
import type { SourceValue, YamlStream } from './read-yaml-stream.js';
import { renderScalar } from './render-scalar.js';
import type { EditableScalar, SetterTarget, SourceProblem } from './setter-target.js';
import { findMisreadScalar } from './verify-rewrite.js';
import type { WrittenScalar } from './verify-rewrite.js';

/** Larger files are skipped and reported: generated bundles this size are not hand-kept manifests. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** A policy's current choice; `repository` as configured, `digest` set when the policy pins digests. */
export interface ImagePick {
  /** The policy id: `NS:NAME`, or `NAME` for a policy without a namespace (see policy-id.ts). */
  policy: string;
  repository: string;
  tag: string;
  digest?: string;
}

/** One scalar rewritten; `line` is 1-based, `document.index` 0-based within the file. */
export interface SetterChange {
  file: string;
  line: number;
  document: DocumentRef;
  policy: string;
  repository: string;
  field: 'image' | 'name' | 'tag' | 'digest';
  from: string;
  to: string;
}

/** Something left undone in a file (unparsable, too large, a marker that cannot apply); never thrown. */
export interface SetterProblem {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole (a symlink skipped). */
  line: number;
  message: string;
}

/** A scalar a marker names, and the value it holds in the file as given (changed or not). */
export interface MarkedField {
  file: string;
  line: number;
  policy: string;
  field: 'image' | 'name' | 'tag' | 'digest';
  value: string;
}

/** The outcome for one file: `text` is the very input string when `changes` is empty. */
export interface SetterResult {
  text: string;
  changes: SetterChange[];
  problems: SetterProblem[];
  /** Every marked field, in file order, with its value before any change. */
  fields: MarkedField[];
}

/** How to update: `auto` applies markers and also rewrites unmarked images of the picked repositories. */
export interface SetterOptions {
  mode: 'markers' | 'auto';
  /** Every configured policy id: a marker naming one without a pick is skipped quietly, not reported. */
  knownPolicies?: ReadonlySet<string>;
  /** Defaults to MAX_FILE_BYTES. */
  maxBytes?: number;
}

interface Edit {
  target: SetterTarget;
  source: string;
  change: SetterChange;
}

/** Applies picks (keyed by policy id) to one YAML file's text. */
export function applySetters(
  file: string,
  text: string,
  picks: ReadonlyMap<string, ImagePick>,
  options: SetterOptions,
): SetterResult {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    return { text, changes: [], problems: [{ file, line: 1, message: `skipped: ${bytes} bytes is over the limit of ${maxBytes}` }], fields: [] };
  }
  if (!mightChange(text, picks, options.mode)) return { text, changes: [], problems: [], fields: [] };

  const stream = readYamlStream(text);
  const lineOf = (offset: number): number => stream.lineCounter.linePos(offset).line;
  if (stream.error) {
    const message = `skipped: ${stream.error.message}`;
    return { text, changes: [], problems: [{ file, line: lineOf(stream.error.offset), message }], fields: [] };
  }

  const markers = findMarkerTargets(text, stream, picks, options.knownPolicies ?? new Set(picks.keys()));
  const auto = options.mode === 'auto' ? findAutoTargets(file, stream.documents, picks, markers.marked) : null;
  const targets = uniqueByToken([...markers.targets, ...(auto?.targets ?? [])]);
  // A marked value YAML cannot read as a scalar (`*a,`) is left as it is, with a problem that says so.
  const unreadable = new Set(targets.filter((target) => readScalar(target.token) === undefined));
  const unreadableProblems = [...unreadable].map(({ token }) => ({
    offset: token.offset,
    message: `skipped: ${JSON.stringify(token.source)} is not a value YAML can read, so it is not rewritten`,
  }));
  const problems = [...markers.problems, ...(auto?.problems ?? []), ...unreadableProblems]
    .sort((a, b) => a.offset - b.offset)
    .map((problem: SourceProblem) => ({ file, line: lineOf(problem.offset), message: problem.message }));

  const fields = markers.fields.map(({ token, policy, field }) => ({
    file,
    line: lineOf(token.offset),
    policy,
    field,
    value: readScalar(token) ?? token.source,
  }));
  const values = new Map(stream.values.map((value) => [value.token, value]));
  const edits = targets
    .filter((target) => !unreadable.has(target))
    .map((target) => toEdit(file, target, values.get(target.token), stream, lineOf))
    // Compared as text: a plain `1.10` already says tag 1.10, and re-quoting it would be a change nobody asked for.
    .filter((edit) => edit.change.from !== edit.change.to)
    .sort((a, b) => a.target.token.offset - b.target.token.offset);
  if (edits.length === 0) return { text, changes: [], problems, fields };

  const { output, written } = splice(text, edits);
  const misread = findMisreadScalar(output, written);
  if (misread) return { text, changes: [], problems: [...problems, { file, line: misread.scalar.line, message: misread.message }], fields };
  return { text: output, changes: edits.map((edit) => edit.change), problems, fields };
}

/** A scalar's value as YAML reads it; undefined when YAML cannot read it (`*a,`). */
function readScalar(token: EditableScalar): string | undefined {
  let readable = true;
  const scalar = CST.resolveAsScalar(token, true, () => (readable = false));
  return readable ? scalar?.value : undefined;
}

/**
 * Cheap test before parsing: a marker contains `$imagepolicy`, and any spelling of a repository
 * (`nginx`, `docker.io/library/nginx`) contains its last path segment. Most files in a config
 * repository fail it, so they are not parsed (and a syntax error in them goes unreported).
 */
function mightChange(text: string, picks: ReadonlyMap<string, ImagePick>, mode: SetterOptions['mode']): boolean {
  if (text.includes('$imagepolicy')) return true;
  if (mode !== 'auto') return false;
  for (const pick of picks.values()) {
    if (text.includes(pick.repository.slice(pick.repository.lastIndexOf('/') + 1))) return true;
  }
  return false;
}

function uniqueByToken(targets: SetterTarget[]): SetterTarget[] {
  const seen = new Set<EditableScalar>();
  return targets.filter((target) => !seen.has(target.token) && seen.add(target.token));
}

function toEdit(
  file: string,
  target: SetterTarget,
  value: SourceValue | undefined,
  stream: YamlStream,
  lineOf: (offset: number) => number,
): Edit {
  const { token } = target;
  const from = readScalar(token) ?? token.source;
  const documentIndex = value?.document ?? 0;
  return {
    target,
    source: renderScalar(token.type, target.to, value?.inFlow ?? false),
    change: {
      file,
      line: lineOf(token.offset),
      document: describeDocument(stream.documents[documentIndex], documentIndex),
      policy: target.policy,
      repository: target.repository,
      field: target.field,
      from,
      to: target.to,
    },
  };
}

/** Joins the untouched stretches with the new scalar sources; `edits` are sorted and disjoint. */
function splice(text: string, edits: readonly Edit[]): { output: string; written: WrittenScalar[] } {
  const parts: string[] = [];
  const written: WrittenScalar[] = [];
  let at = 0;
  let length = 0;
  for (const edit of edits) {
    const { offset, source } = edit.target.token;
    parts.push(text.slice(at, offset));
    length += offset - at;
    written.push({ offset: length, value: edit.change.to, line: edit.change.line });
    parts.push(edit.source);
    length += edit.source.length;
    at = offset + source.length;
  }
  parts.push(text.slice(at));
  return { output: parts.join(''), written };
}
