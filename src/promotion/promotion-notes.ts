// Which changes of a run are promotions, as the commit message names them (SPEC §2 promotion).
import type { CommitChange, PromotionNote } from '../git/commit-message.js';
import type { PromotionOrigin } from './evaluate-promotion.js';
import { formatSoak } from './format-soak.js';

/** The promotion behind each change whose policy promotes and whose new tag has a known origin; deduplicated. */
export function promotionNotes(picks: ReadonlyMap<string, { promotion?: readonly PromotionOrigin[] }>, changes: readonly CommitChange[]): PromotionNote[] {
  const notes = new Map<string, PromotionNote>();
  for (const change of changes) {
    const tag = change.to.split('@', 1)[0]!;
    const origin = picks.get(change.policy)?.promotion?.find((o) => o.tag === tag);
    if (!origin) continue;
    const key = `${change.repository}\0${tag}`;
    if (!notes.has(key)) notes.set(key, { repository: change.repository, tag, from: origin.from, commit: origin.commit, after: formatSoak(wholeHours(origin.soakedMs)) });
  }
  return [...notes.values()];
}

/**
 * Whole hours once there is one: the soak grows between runs, and a review request retitled with
 * every run (`after 3h25m`, `after 3h40m`) is noise; hourly is often enough.
 */
function wholeHours(ms: number): number {
  return ms < HOUR ? ms : Math.floor(ms / HOUR) * HOUR;
}

const HOUR = 3_600_000;
