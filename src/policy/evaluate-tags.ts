// The one pass over a repository's tags: filter, parse, range-check and keep the best so far.
import type { Evaluation, EvaluationStats } from './policy.js';
import { Skip, type SkipCounts } from './skip.js';
import type { RankKey, Ranker } from './strategy.js';
import type { TagSelector } from './tag-selector.js';

/** The filter as the user wrote it, for reasons. */
export interface FilterText {
  pattern: string | null;
  extract: string | null;
}

/** How many of the best candidates an evaluation ranks: a revert hold falls back to the next of them (SPEC §4). */
export const RANKED_KEPT = 20;

/**
 * Picks the best tag in one linear pass (no sort: O(n), usually one comparison per candidate), keeping
 * the RANKED_KEPT best in order. Ties go to the greater tag in plain string order, so the pick never
 * depends on the order tags were listed.
 */
export function evaluateTags(
  tags: readonly string[],
  select: TagSelector,
  ranker: Ranker,
  filter: FilterText,
): Evaluation {
  const skipped: SkipCounts = [0, 0, 0, 0, 0];
  let candidates = 0;
  /** The best candidates so far, best first. */
  const top: Array<{ key: RankKey; tag: string }> = [];
  const better = (key: RankKey, tag: string, than: { key: RankKey; tag: string }): boolean => {
    const c = ranker.compare(key, than.key);
    return c > 0 || (c === 0 && tag > than.tag);
  };
  let exampleUnparsable: { tag: string; value: string } | undefined;
  for (const tag of tags) {
    const value = select(tag);
    if (typeof value === 'number') {
      skipped[value]++;
      continue;
    }
    const key = ranker.rank(value);
    if (typeof key === 'number') {
      skipped[key]++;
      // The least such tag, not the first, so that even the reason ignores listing order.
      if (key === Skip.unparsable && (exampleUnparsable === undefined || tag < exampleUnparsable.tag)) {
        exampleUnparsable = { tag, value };
      }
      continue;
    }
    candidates++;
    if (top.length === RANKED_KEPT && !better(key, tag, top[RANKED_KEPT - 1]!)) continue;
    let at = top.length;
    while (at > 0 && better(key, tag, top[at - 1]!)) at--;
    if (top[at - 1]?.tag === tag) continue; // listed twice
    top.splice(at, 0, { key, tag });
    if (top.length > RANKED_KEPT) top.pop();
  }
  const stats: EvaluationStats = {
    seen: tags.length,
    filtered: skipped[Skip.noMatch] + skipped[Skip.emptyExtract],
    unparsable: skipped[Skip.unparsable],
    outOfRange: skipped[Skip.outOfRange] + skipped[Skip.prerelease],
    candidates,
  };
  const ranked = top.map((t) => t.tag);
  if (ranked.length > 0) return { pick: { tag: ranked[0]! }, ranked, reason: null, stats };
  return { pick: null, ranked, reason: noPickReason(stats, skipped, ranker, filter, exampleUnparsable), stats };
}

function noPickReason(
  stats: EvaluationStats,
  skipped: SkipCounts,
  ranker: Ranker,
  filter: FilterText,
  exampleUnparsable: { tag: string; value: string } | undefined,
): string {
  if (stats.seen === 0) return 'no tags';
  if (skipped[Skip.noMatch] === stats.seen) {
    return `no tag matches filter ${filter.pattern ?? ''} (${count(stats.seen, 'tag')} seen)`;
  }
  if (stats.filtered === stats.seen) {
    const matched = skipped[Skip.emptyExtract];
    return `${count(matched, 'tag')} match${matched === 1 ? 'es' : ''} filter ${filter.pattern ?? ''}, but extract ${filter.extract ?? ''} is empty for ${matched === 1 ? 'it' : 'each of them'}`;
  }
  const parsesAs = ranker.parsesAs ?? 'a value';
  if (stats.outOfRange === 0) {
    const tried = stats.seen - stats.filtered;
    const subject =
      filter.extract !== null
        ? `${count(tried, 'value')} extracted with ${filter.extract}`
        : filter.pattern !== null
          ? `${count(tried, 'tag')} matching filter ${filter.pattern}`
          : count(tried, 'tag');
    const example =
      exampleUnparsable === undefined
        ? ''
        : filter.extract !== null
          ? ` (e.g. ${JSON.stringify(exampleUnparsable.value)} from tag ${JSON.stringify(exampleUnparsable.tag)})`
          : ` (e.g. ${JSON.stringify(exampleUnparsable.tag)})`;
    return `none of ${subject} parses as ${parsesAs}${example}`;
  }
  let reason = `none of ${count(stats.outOfRange, `${parsesAs} tag`)} is in range ${ranker.range ?? ''}`;
  const prereleases = skipped[Skip.prerelease];
  if (prereleases > 0) {
    const are = prereleases === 1 ? '1 of them is a prerelease' : `${prereleases} of them are prereleases`;
    reason += `; ${are} (prereleases match only when the range names one, as >=1.0.0-0 does)`;
  }
  if (stats.unparsable > 0) reason += `; ${count(stats.unparsable, 'other tag')} did not parse as ${parsesAs}`;
  if (stats.filtered > 0) reason += `; ${count(stats.filtered, 'tag')} did not pass the filter`;
  return reason;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
