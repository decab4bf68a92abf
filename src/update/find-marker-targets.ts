import type { CST } from 'yaml';
import type { ImagePick } from './apply-setters.js';
import { parseMarker } from './parse-marker.js';
import type { Marker, MarkerField } from './parse-marker.js';
import { policyNameOf, resolvePolicyReference } from './policy-id.js';
import type { YamlStream } from './read-yaml-stream.js';
import { isEditableScalar } from './setter-target.js';
import type { EditableScalar, SetterTarget, SourceProblem } from './setter-target.js';

/** What the marker comments of one file ask for. */
export interface MarkerTargets {
  targets: SetterTarget[];
  problems: SourceProblem[];
  /** Scalars carrying a marker, used or not: auto mode must leave them to their marker. */
  marked: Set<EditableScalar>;
  /** Every well-formed marker on a scalar, with or without a pick: what status shows beside the picks. */
  fields: Array<{ token: EditableScalar; policy: string; field: MarkerField }>;
}

/**
 * Finds `$imagepolicy` comments and the scalar each one ends the line of. A marker belongs to the
 * value that ends just before it on the same line (past a `,` in a flow collection), as a YAML
 * line comment does; a marker on a line of its own is a note, not a setter, as in Flux.
 */
export function findMarkerTargets(
  text: string,
  stream: YamlStream,
  picks: ReadonlyMap<string, ImagePick>,
  knownPolicies: ReadonlySet<string>,
): MarkerTargets {
  const result: MarkerTargets = { targets: [], problems: [], marked: new Set(), fields: [] };
  const valuesByEnd = new Map(stream.values.map((value) => [endOf(value.token), value.token]));
  const ids = new Set([...picks.keys(), ...knownPolicies]);
  const names = new Set([...ids].map(policyNameOf));
  const isPolicy = (name: string): boolean => names.has(name);
  for (const comment of markerComments(stream.tokens)) {
    const end = valueEndBefore(text, comment.offset, valuesByEnd);
    if (end === null) continue;
    const marker = parseMarker(comment.source, isPolicy);
    if (marker === null) continue;
    const fail = (message: string): void => void result.problems.push({ offset: comment.offset, message });
    const token = valuesByEnd.get(end);
    if (token === undefined) fail('marker is not on a value: put it at the end of the line of the scalar it sets');
    else if (token.type === 'alias') fail(`marker is on the alias ${token.source}: put it on the anchored value`);
    else if (token.type === 'flow-collection') fail('marker follows a flow collection, not a scalar: put it after the scalar inside it, on a line of its own');
    else if (token.type === 'block-scalar') fail('marker is on a block scalar (| or >): use a plain or quoted scalar');
    else if (isEditableScalar(token)) {
      result.marked.add(token);
      if ('problem' in marker) fail(marker.problem);
      else {
        result.fields.push({ token, policy: marker.policy, field: marker.field });
        addTarget(result, token, marker, picks, ids, fail);
      }
    } else fail(`marker is on a ${token.type}, not a scalar`);
  }
  return result;
}

function addTarget(
  result: MarkerTargets,
  token: EditableScalar,
  marker: Marker,
  picks: ReadonlyMap<string, ImagePick>,
  ids: ReadonlySet<string>,
  fail: (message: string) => void,
): void {
  const resolved = resolvePolicyReference(marker.namespace, marker.policy, ids);
  const written = marker.namespace === undefined ? marker.policy : `${marker.namespace}:${marker.policy}`;
  if ('unknown' in resolved) return fail(`marker names unknown policy "${written}"`);
  if ('ambiguous' in resolved) {
    return fail(`marker names policy "${written}", which ${resolved.ambiguous.join(' and ')} share: write NS:${marker.policy}`);
  }
  // A known policy without a pick (none yet, or another automation's) is not a mistake in the file.
  const pick = picks.get(resolved.id);
  if (pick === undefined) return;
  const to = valueFor(marker, pick);
  if (to === null) fail(`marker asks for the digest, but policy "${pick.policy}" does not pin digests`);
  else result.targets.push({ token, policy: pick.policy, repository: pick.repository, field: marker.field, to });
}

/** What a marker's field should hold for a pick (null: a digest the pick lacks). Flux's choice, kept for digest pinning: `:tag` is the tag alone, `:digest` the digest alone. */
export function valueFor(marker: Marker, pick: ImagePick): string | null {
  switch (marker.field) {
    case 'image':
      return `${pick.repository}:${pick.tag}${pick.digest ? `@${pick.digest}` : ''}`;
    case 'name':
      return pick.repository;
    case 'tag':
      return pick.tag;
    case 'digest':
      return pick.digest ?? null;
  }
}

/** The offset just past a token's last character on its last line, where a trailing comment follows. */
function endOf(token: CST.Token): number {
  switch (token.type) {
    case 'flow-collection':
      return token.end[0] ? token.end[0].offset + token.end[0].source.length : token.offset;
    case 'block-scalar': {
      const header = token.props.find((prop) => prop.type === 'block-scalar-header');
      return header && 'source' in header ? header.offset + header.source.length : token.offset;
    }
    default:
      return 'source' in token ? token.offset + token.source.length : token.offset;
  }
}

/**
 * Where the value before a comment ends, skipping blanks and one flow `,`; null when the comment
 * starts its line. Returns the position even when no value ends there, so the caller can report it.
 */
function valueEndBefore(text: string, offset: number, valuesByEnd: ReadonlyMap<number, CST.Token>): number | null {
  let at = skipBlanksBack(text, offset);
  if (at === 0 || text[at - 1] === '\n' || text[at - 1] === '\r' || (at === 1 && text[0] === '\ufeff')) return null;
  if (!valuesByEnd.has(at) && text[at - 1] === ',') at = skipBlanksBack(text, at - 1);
  return at;
}

function skipBlanksBack(text: string, offset: number): number {
  let at = offset;
  while (at > 0 && (text[at - 1] === ' ' || text[at - 1] === '\t')) at -= 1;
  return at;
}

/** The fields of a CST token that hold further tokens, in source order. */
const TOKEN_PARTS = ['start', 'key', 'sep', 'value', 'items', 'props', 'end'];

/**
 * Every comment token holding `$imagepolicy`, in source order. A plain walk into one array: the
 * generator it replaced (`yield*` at every level of the tree) made a generator per token and handed
 * each comment up through every level (~5% of a hot applySetters).
 */
function markerComments(tokens: unknown, found: CST.SourceToken[] = []): CST.SourceToken[] {
  if (Array.isArray(tokens)) {
    for (const token of tokens) markerComments(token, found);
    return found;
  }
  if (typeof tokens !== 'object' || tokens === null) return found;
  const token = tokens as Partial<CST.SourceToken> & Record<string, unknown>;
  if (token.type === 'comment' && token.source?.includes('$imagepolicy')) found.push(token as CST.SourceToken);
  for (const key of TOKEN_PARTS) {
    if (key in token) markerComments(token[key], found);
  }
  return found;
}
