// Checks the schema cannot express: unique names, references between sections, policy validity.
import { policyProblems } from '../policy/policy.js';
import { findSharedRepositories } from '../update/find-shared-repositories.js';
import { policyId, resolvePolicyText } from '../update/policy-id.js';
import { loadCosignPublicKey } from '../verify/cosign-public-key.js';
import { closestName } from './closest-name.js';
import { promotionProblems } from './promotion-problems.js';
import { PolicyConfig, type Config } from './schema.js';
import type { LocatedProblem } from './located-problem.js';

/** Names that exist in the input even where their entry is invalid: a reference to one is not a second problem. */
export interface KnownNames {
  images: ReadonlySet<string>;
  policies: ReadonlySet<string>;
}

/** Every cross-reference problem in a schema-valid config (or the valid part of one, with the input's names in `known`). */
export function crossReferenceProblems(config: Config, known?: KnownNames): LocatedProblem[] {
  const problems: LocatedProblem[] = [
    ...duplicates(config.images, 'images', (i) => i.name),
    // Names are unique per namespace: two namespaces may each have a policy "app".
    ...duplicates(config.policies, 'policies', policyId),
    ...duplicates(config.automations, 'automations', (a) => a.name),
    ...duplicates(config.webhooks, 'webhooks', (w) => w.name),
    ...duplicates(config.registries, 'registries', (r) => r.host, 'host'),
    ...duplicates(config.notifications, 'notifications', (n) => n.name),
  ];
  const images = known?.images ?? new Set(config.images.map((i) => i.name));
  const policies = known?.policies ?? new Set(config.policies.map(policyId));

  config.policies.forEach((policy, i) => {
    if (!images.has(policy.image)) {
      problems.push({ path: ['policies', i, 'image'], message: `policy ${policy.name} names image "${policy.image}", which is not in images${suggest(policy.image, images)}` });
    }
    problems.push(...problemsOfPolicy(policy, i));
    const keyFile = policy.verify?.cosign.publicKeyFile;
    if (keyFile !== undefined) {
      try {
        loadCosignPublicKey(keyFile);
      } catch (err) {
        problems.push({ path: ['policies', i, 'verify', 'cosign', 'publicKeyFile'], message: `policy ${policy.name}: ${(err as Error).message}` });
      }
    }
  });
  const automations = new Set(config.automations.map((a) => a.name));
  config.notifications.forEach((notification, i) => {
    notification.automations?.forEach((name, j) => {
      if (!automations.has(name)) {
        problems.push({ path: ['notifications', i, 'automations', j], message: `notification ${notification.name} names automation "${name}", which is not in automations` });
      }
    });
  });

  config.automations.forEach((automation, i) => {
    automation.policies?.forEach((name, j) => {
      const resolved = resolvePolicyText(name, policies);
      if ('unknown' in resolved) {
        problems.push({ path: ['automations', i, 'policies', j], message: `automation ${automation.name} names policy "${name}", which is not in policies${suggest(name, policies)}` });
      } else if ('ambiguous' in resolved) {
        problems.push({
          path: ['automations', i, 'policies', j],
          message: `automation ${automation.name} names policy "${name}", which ${resolved.ambiguous.join(' and ')} share; write NS:${name}`,
        });
      }
    });
    if (automation.pullRequest && !automation.git.pushBranch) {
      problems.push({ path: ['automations', i, 'pullRequest'], message: `automation ${automation.name}: pullRequest needs git.pushBranch` });
    }
    if (automation.update === 'auto') {
      const used = automation.policies?.flatMap((name) => {
        const resolved = resolvePolicyText(name, policies);
        return 'id' in resolved ? [resolved.id] : [];
      }) ?? [...policies];
      const repositories = used.flatMap((policy) => {
        const image = config.images.find((i) => i.name === config.policies.find((p) => policyId(p) === policy)?.image);
        return image ? [{ policy, repository: image.repository }] : [];
      });
      for (const shared of findSharedRepositories(repositories)) {
        problems.push({
          path: ['automations', i, 'update'],
          message: `automation ${automation.name}: update: auto cannot tell policies ${shared.policies.join(' and ')} apart (both watch ${shared.repository}); use markers or list one of them in policies`,
        });
      }
    }
    if (automation.git.pushBranch === automation.git.branch) {
      problems.push({ path: ['automations', i, 'git', 'pushBranch'], message: `automation ${automation.name}: pushBranch must differ from branch` });
    }
  });
  problems.push(...promotionProblems(config));
  return problems;
}

/** `; did you mean "app"?` when a known name is close, else the known names (or that there are none). */
function suggest(name: string, known: ReadonlySet<string>): string {
  const close = closestName(name, known);
  if (close) return `; did you mean "${close}"?`;
  return known.size === 0 ? ' (none are configured)' : ` (known: ${[...known].sort().join(', ')})`;
}

function duplicates<T>(items: T[], section: string, key: (item: T) => string, field = 'name'): LocatedProblem[] {
  const seen = new Set<string>();
  const problems: LocatedProblem[] = [];
  items.forEach((item, i) => {
    const value = key(item);
    if (seen.has(value)) problems.push({ path: [section, i, field], message: `${section}: ${field} "${value}" is used twice` });
    seen.add(value);
  });
  return problems;
}

function problemsOfPolicy(policy: PolicyConfig, index: number): LocatedProblem[] {
  return policyProblems(policy).map((p) => ({
    path: ['policies', index, ...p.field.split('.')],
    message: `policy ${policy.name}: ${p.message}`,
  }));
}
