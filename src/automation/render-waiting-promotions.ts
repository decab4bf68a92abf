// `plan` lines for promotions still soaking or declined in review (SPEC §2):
// `# app-prod: waiting for promotion: 1.4.0: in fleet-staging for 3h of 24h`.
import type { Pipeline } from './pipeline.js';

/** One line per tag still soaking, or declined, for a policy of `automation`. */
export function renderWaitingPromotions(pipeline: Pipeline, automation: string): string {
  const lines: string[] = [];
  for (const [policy, status] of pipeline.policies) {
    if (!pipeline.automationsUsing(policy).includes(automation)) continue;
    for (const explanation of status.promotion?.explanations ?? []) lines.push(`# ${policy}: waiting for promotion: ${explanation}\n`);
    for (const d of status.promotion?.declined ?? []) lines.push(`# ${policy}: ${d.tag} not promoted: review #${d.review} was closed without merging (${d.url})\n`);
  }
  return lines.join('');
}
