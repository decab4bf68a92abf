// Checks the schema cannot express: unique names, references between sections, policy validity.
import { commitTemplateProblem } from '../git/commit-template.js';
import { policyProblems } from '../policy/policy.js';
import { findSharedRepositories } from '../update/find-shared-repositories.js';
import { policyId, resolvePolicyText } from '../update/policy-id.js';
import { loadCosignPublicKey } from '../verify/cosign-public-key.js';
import { PolicyConfig, type Config } from './schema.js';
import type { LocatedProblem } from './located-problem.js';

/** Every cross-reference problem in a schema-valid config. */
export function crossReferenceProblems(config: Config): LocatedProblem[] {
  const problems: LocatedProblem[] = [
    ...duplicates(config.images, 'images', (i) => i.name),
    // Names are unique per namespace: two namespaces may each have a policy "app".
    ...duplicates(config.policies, 'policies', policyId),
    ...duplicates(config.automations, 'automations', (a) => a.name),
    ...duplicates(config.webhooks, 'webhooks', (w) => w.name),
    ...duplicates(config.registries, 'registries', (r) => r.host, 'host'),
    ...duplicates(config.notifications, 'notifications', (n) => n.name),
  ];
  const images = new Set(config.images.map((i) => i.name));
  const policies = new Set(config.policies.map(policyId));

  config.policies.forEach((policy, i) => {
    if (!images.has(policy.image)) {
      problems.push({ path: ['policies', i, 'image'], message: `policy ${policy.name} names image "${policy.image}", which is not in images` });
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
        problems.push({ path: ['automations', i, 'policies', j], message: `automation ${automation.name} names policy "${name}", which is not in policies` });
      } else if ('ambiguous' in resolved) {
        problems.push({
          path: ['automations', i, 'policies', j],
          message: `automation ${automation.name} names policy "${name}", which ${resolved.ambiguous.join(' and ')} share; write NS:${name}`,
        });
      }
    });
    const templateProblem = automation.commitMessage === undefined ? null : commitTemplateProblem(automation.commitMessage);
    if (templateProblem) {
      problems.push({ path: ['automations', i, 'commitMessage'], message: `automation ${automation.name}: commitMessage: ${templateProblem}` });
    }
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
  return problems;
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

/** Policy problems of the entries that pass the schema, for when another part of the config does not. */
export function policyProblemsOfValidEntries(policies: unknown): LocatedProblem[] {
  if (!Array.isArray(policies)) return [];
  return policies.flatMap((raw, i) => {
    const parsed = PolicyConfig.safeParse(raw);
    return parsed.success ? problemsOfPolicy(parsed.data, i) : [];
  });
}
