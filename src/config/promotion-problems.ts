// Checks of `policies[].promotion` (SPEC §2) the schema cannot express: the source automation
// exists, writes the policy's image, and no automation promotes (through others) from itself.
import type { Config } from './schema.js';
import type { LocatedProblem } from './located-problem.js';
import { policyId } from '../update/policy-id.js';

/** Every problem with the promotion of a policy in a schema-valid config. */
export function promotionProblems(config: Config): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const automations = new Map(config.automations.map((a) => [a.name, a]));
  const repositoryOf = (image: string) => config.images.find((i) => i.name === image)?.repository;
  const policiesOf = (automation: string) => automations.get(automation)?.policies ?? config.policies.map((p) => p.name);
  const usersOf = (policy: string) => config.automations.filter((a) => !a.policies || a.policies.includes(policy)).map((a) => a.name);

  /** automation → the automations its promotion policies take from. */
  const takesFrom = new Map<string, Set<string>>();
  config.policies.forEach((policy, i) => {
    const promotion = policy.promotion;
    if (!promotion) return;
    const path = ['policies', i, 'promotion', 'from'];
    const source = automations.get(promotion.from);
    if (!source) {
      const known = [...automations.keys()];
      problems.push({
        path,
        message: `policy ${policy.name}: promotion.from names automation "${promotion.from}", which is not in automations (known: ${known.length > 0 ? known.join(', ') : 'none'})`,
      });
      return;
    }
    const repository = repositoryOf(policy.image);
    const written = policiesOf(source.name).some((name) => {
      const other = config.policies.find((p) => p.name === name || policyId(p) === name);
      return other !== undefined && repositoryOf(other.image) === repository;
    });
    if (repository !== undefined && !written) {
      problems.push({
        path,
        message: `policy ${policy.name}: promotion.from automation ${source.name} does not write ${repository} (none of its policies watches it), so nothing could ever be promoted`,
      });
    }
    for (const user of usersOf(policy.name)) {
      const set = takesFrom.get(user) ?? new Set<string>();
      set.add(source.name);
      takesFrom.set(user, set);
    }
  });

  config.policies.forEach((policy, i) => {
    const from = policy.promotion?.from;
    if (!from || !automations.has(from)) return;
    for (const user of usersOf(policy.name)) {
      const loop = pathBack(takesFrom, from, user);
      if (!loop) continue;
      const message =
        loop.length === 1
          ? `policy ${policy.name}: promotion is a cycle (${user} takes from ${user}): automation ${user} uses this policy and is its source; give each environment its own automation (paths) and promote from the other`
          : `policy ${policy.name}: promotion is a cycle (${[user, ...loop].join(' takes from ')}); a promotion chain must end at an automation that takes from none`;
      problems.push({ path: ['policies', i, 'promotion', 'from'], message });
      break;
    }
  });
  return problems;
}

/** The chain of automations from `start` to `goal` following "takes from", or null. */
function pathBack(takesFrom: ReadonlyMap<string, ReadonlySet<string>>, start: string, goal: string): string[] | null {
  const seen = new Set<string>();
  const visit = (node: string): string[] | null => {
    if (node === goal) return [node];
    if (seen.has(node)) return null;
    seen.add(node);
    for (const next of takesFrom.get(node) ?? []) {
      const rest = visit(next);
      if (rest) return [node, ...rest];
    }
    return null;
  };
  return visit(start);
}
