import { InputError } from '../errors.js';
import { compileGoRegexp } from '../policy/go-regexp.js';

// images[].exclude: tags that are never candidates (cosign's .sig/.att/.sbom by default), dropped before policies.

/** Patterns compiled so far, by source: every scan of every image applies its list, mostly the default one. */
const compiledPatterns = new Map<string, RegExp>();

/** The tags kept and the tags dropped by `patterns` (regex sources, unanchored), each in input order. */
export function excludeTags(tags: readonly string[], patterns: readonly string[]): { tags: string[]; excluded: string[] } {
  const compiled = patterns.map(compileExclude);
  const kept: string[] = [];
  const excluded: string[] = [];
  for (const tag of tags) (compiled.some((re) => re.test(tag)) ? excluded : kept).push(tag);
  return { tags: kept, excluded };
}

function compileExclude(source: string): RegExp {
  let regexp = compiledPatterns.get(source);
  if (!regexp) {
    const pattern = compileGoRegexp(source);
    if ('problem' in pattern) throw new InputError(`images[].exclude: ${pattern.problem}`, { code: 'CONFIG_INVALID' });
    regexp = pattern.regexp;
    compiledPatterns.set(source, regexp);
  }
  return regexp;
}
