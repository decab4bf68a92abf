// The `Link: <…>; rel="next"` header tags/list pages with (distribution spec, "Listing Tags").
import { InputError } from '../errors.js';

const LINK_VALUE_RE = /<([^>]*)>((?:\s*;\s*[^;,]*)*)/g;
const REL_RE = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i;

/**
 * The next page's URL, resolved against the current one, or null on the last page. A next page on
 * another origin is refused: following it would send our credentials, or our trust, somewhere else.
 */
export function nextPageUrl(link: string | undefined, current: string, repository: string): string | null {
  if (!link) return null;
  for (const match of link.matchAll(LINK_VALUE_RE)) {
    const rel = REL_RE.exec(match[2]!);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!rels.includes('next')) continue;
    const next = new URL(match[1]!, current);
    if (next.origin !== new URL(current).origin) {
      throw new InputError(`${repository}: registry sent a next page on another origin (${next.origin}); refused`);
    }
    return next.href;
  }
  return null;
}
