// Grammar from distribution/reference, loosened only where a stricter check would add nothing: a
// value that is not a plain reference (a template, `${IMAGE}`) must come back null so auto mode
// leaves it alone.

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** An image reference split into its parts; `name` is the repository as written. */
export interface ImageReference {
  name: string;
  tag?: string;
  digest?: string;
}

/** Splits `name[:tag][@digest]`; null when the text is not an image reference. */
export function parseImageReference(reference: string): ImageReference | null {
  const at = reference.indexOf('@');
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  const rest = at === -1 ? reference : reference.slice(0, at);
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : undefined;
  if (!NAME.test(name)) return null;
  if (tag !== undefined && !TAG.test(tag)) return null;
  if (digest !== undefined && !DIGEST.test(digest)) return null;
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}
