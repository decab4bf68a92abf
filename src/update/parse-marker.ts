// Flux's setter comment: `# {"$imagepolicy": "NS:NAME"}` or `"NS:NAME:tag"` (`:name`, `:digest`).
// Flux always writes the namespace; tagpilot policies may have none, so `NAME` and `NAME:tag` are accepted too.

const MARKER = /\{\s*"\$imagepolicy"\s*:\s*"([^"]*)"\s*\}/;
const FIELDS = new Set(['tag', 'name', 'digest']);

/** Which part of an image reference a marker sets: `image` is the whole `repository:tag`. */
export type MarkerField = 'image' | 'name' | 'tag' | 'digest';

/** A marker comment read: the policy it names (and its namespace, when written) and the part it sets. */
export interface Marker {
  namespace?: string;
  policy: string;
  field: MarkerField;
}

/**
 * Reads a comment's marker; null when the comment has none, `{ problem }` when it tries and fails.
 * `NAME:tag` and `NS:NAME` look alike, so `isPolicy` breaks the tie: `a:tag` means policy `a`'s tag
 * unless only a policy called `tag` exists.
 */
export function parseMarker(comment: string, isPolicy: (name: string) => boolean): Marker | { problem: string } | null {
  if (!comment.includes('$imagepolicy')) return null;
  const match = MARKER.exec(comment);
  if (!match) return { problem: `malformed marker ${JSON.stringify(comment)}: expected # {"$imagepolicy": "POLICY"}` };
  const parts = match[1]!.split(':');
  if (parts.some((part) => part === '') || parts.length > 3) {
    return { problem: `malformed marker policy "${match[1]}": expected POLICY, NS:POLICY, POLICY:FIELD or NS:POLICY:FIELD` };
  }
  const [first, second, third] = parts as [string, string?, string?];
  if (second === undefined) return { policy: first, field: 'image' };
  if (third !== undefined) {
    if (!FIELDS.has(third)) return unknownField(third);
    return { namespace: first, policy: second, field: third as MarkerField };
  }
  // `app:version` is likelier a mistyped field of policy `app` than namespace `app`, policy `version`.
  if (!FIELDS.has(second) && !isPolicy(second) && isPolicy(first)) return unknownField(second);
  const asField = FIELDS.has(second) && !(isPolicy(second) && !isPolicy(first));
  return asField ? { policy: first, field: second as MarkerField } : { namespace: first, policy: second, field: 'image' };
}

function unknownField(field: string): { problem: string } {
  return { problem: `unknown marker field "${field}": expected tag, name or digest` };
}
