// A promotion policy's evaluation (SPEC §2 promotion): its candidates are the tags the source
// automation kept on its branch for the soak (and the registry still lists); the policy's own rule
// picks among them. What is still soaking is kept beside the evaluation for status and plan.
import type { Config } from '../config/schema.js';
import type { Evaluation, Policy } from '../policy/policy.js';
import { policyId } from '../update/policy-id.js';
import { declinedPromotions, type DeclinedTag } from './declined-promotions.js';
import { formatSoak } from './format-soak.js';
import { promotionCandidates, type PromotableTag, type WaitingTag } from './promotion-candidates.js';
import { readSourceRecord, type SourceRecordOptions } from './read-source-record.js';

/** Where a promoted tag comes from: the commit message names it (commit-message.ts). */
export interface PromotionOrigin {
  from: string;
  tag: string;
  /** The source's commit that wrote the tag. */
  commit: string;
  soakedMs: number;
}

/** What status, plan and the status page show of a promotion policy. */
export interface PromotionStatus {
  from: string;
  soakMs: number;
  /** Soaked tags the registry still lists (the policy's candidates), oldest first. */
  eligible: PromotableTag[];
  /** Tags still soaking that the policy's rule would take over its pick. */
  waiting: WaitingTag[];
  /** When the first waiting tag is due (ISO time), or null. */
  nextDue: string | null;
  /** `1.4.0: in fleet-staging for 3h of 24h`, one per waiting tag. */
  explanations: string[];
  /** Tags whose review was closed without merging: never promoted again by this policy. */
  declined: DeclinedTag[];
}

export interface PromotionEvaluation {
  evaluation: Evaluation;
  /** The tags the promotion allows (soaked, listed, not declined): the policy's candidates. */
  tags: string[];
  status: PromotionStatus;
  /** The origins of the ranked candidates, so a fallback below a revert hold is still named as a promotion. */
  origins: PromotionOrigin[];
}

/**
 * Evaluates `policy` on the tags its promotion allows among `scanned` (the registry's list), or
 * null when the policy has no promotion. Throws when the source's history cannot be read.
 */
export async function evaluatePromotion(
  config: Config,
  policy: Policy,
  repository: string,
  scanned: readonly string[],
  options: SourceRecordOptions & { now?: number; env?: NodeJS.ProcessEnv },
): Promise<PromotionEvaluation | null> {
  const promotion = config.policies.find((p) => policyId(p) === policy.name)?.promotion;
  if (!promotion) return null;
  const source = config.automations.find((a) => a.name === promotion.from);
  // `check` refuses such a config; a pipeline built without it still must not promote from nowhere.
  if (!source) throw new Error(`policy ${policy.name}: promotion.from names no automation "${promotion.from}"`);
  const record = await readSourceRecord(source, options);
  const now = options.now ?? Date.now();
  const found = promotionCandidates(record.commits, { source: source.name, repository, soakMs: promotion.soak, now });
  const declined = await declinedPromotions(config, policy.name, repository, options.env ?? process.env);
  const held = new Set(declined.map((d) => d.tag));
  // A tag deleted from the registry is not promoted, nor one a reviewer declined.
  const listed = new Set(scanned.filter((tag) => !held.has(tag)));
  const eligible = found.eligible.filter((e) => listed.has(e.tag));
  const tags = eligible.map((e) => e.tag);
  const evaluation = policy.evaluate(tags);
  // Only what the rule would prefer to what it has now is worth saying is on its way.
  const waiting = found.waiting.filter((w) => listed.has(w.tag) && policy.evaluate([...tags, w.tag]).pick?.tag === w.tag);
  const explanations = waiting.map((w) => `${w.tag}: in ${source.name} for ${formatSoak(w.soakedMs)} of ${formatSoak(promotion.soak)}`);
  if (!evaluation.pick) {
    const soaking = explanations.length > 0 ? `; waiting: ${explanations.join(', ')}` : '';
    evaluation.reason = `nothing ${source.name} committed has soaked ${formatSoak(promotion.soak)} there yet (${evaluation.reason})${soaking}`;
  }
  const byTag = new Map(eligible.map((e) => [e.tag, e]));
  const origins = evaluation.ranked.flatMap((tag) => {
    const e = byTag.get(tag);
    return e ? [{ from: source.name, tag, commit: e.commit, soakedMs: e.soakedMs }] : [];
  });
  const nextDue = waiting.length > 0 ? Math.min(...waiting.map((w) => now + w.leftMs)) : null;
  return {
    evaluation,
    tags,
    status: {
      from: source.name,
      soakMs: promotion.soak,
      eligible,
      waiting,
      nextDue: nextDue === null ? null : new Date(nextDue).toISOString(),
      explanations,
      declined,
    },
    origins,
  };
}
