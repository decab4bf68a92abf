// `filter`: which tags are candidates, and what value of each the strategy ranks.
import { compileExtractTemplate, parseExtractTemplate, patternGroups } from './extract-template.js';
import { compileGoRegexp } from './go-regexp.js';
import type { PolicyProblem } from './policy-problem.js';
import { Skip } from './skip.js';

/** The `filter` block of a policy. */
export interface TagFilter {
  pattern: string;
  extract?: string | undefined;
}

/** The value a tag is ranked by (the tag itself, or its extract), or why it is skipped. */
export type TagSelector = (tag: string) => string | Skip;

/** Compiles a filter, or lists its problems (fields 'filter.pattern', 'filter.extract'). */
export function compileTagSelector(
  filter: TagFilter | undefined,
): { select: TagSelector } | { problems: PolicyProblem[] } {
  if (filter === undefined) return { select: (tag) => tag };
  // Unanchored and never global or sticky (SPEC §2), so `test`/`exec` keep no lastIndex state between tags.
  const compiled = compileGoRegexp(filter.pattern);
  if ('problem' in compiled) return { problems: [{ field: 'filter.pattern', message: compiled.problem }] };
  const pattern = compiled.regexp;
  if (filter.extract === undefined) return { select: (tag) => (pattern.test(tag) ? tag : Skip.noMatch) };
  const parsed = parseExtractTemplate(filter.extract, patternGroups(pattern));
  if ('problem' in parsed) return { problems: [{ field: 'filter.extract', message: parsed.problem }] };
  const expand = compileExtractTemplate(parsed.template);
  return {
    select(tag) {
      const match = pattern.exec(tag);
      if (match === null) return Skip.noMatch;
      const value = expand(match);
      return value === '' ? Skip.emptyExtract : value;
    },
  };
}
