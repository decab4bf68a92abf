// ImagePolicy → policies[]: Masterminds ranges and Go regexps are kept as written (tagpilot reads
// both), then compiled once so a policy tagpilot would reject is reported now rather than at `tagpilot check`.
import { compilePolicyRule } from '../policy/policy.js';
import { formatPolicyProblems } from '../policy/policy-problem.js';
import type { FluxImagePolicy, FluxImageRepository } from './flux-objects.js';
import { resolveRef, type PolicyInput, type Typed, type Warn } from './flux-context.js';
import { translateGoRegexp } from '../policy/go-regexp.js';

/** The policy entry, or null (with a warning) when it cannot be converted. */
export function convertPolicy(
  { object, spec, name }: Typed<FluxImagePolicy>,
  repositories: ReadonlyArray<Typed<FluxImageRepository>>,
  warn: Warn,
): PolicyInput | null {
  const ref = spec.imageRepositoryRef;
  const repository = resolveRef(repositories, ref.name, ref.namespace ?? object.metadata.namespace);
  if (!repository) {
    warn(object, `skipped: its ImageRepository ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} is not among the files`);
    return null;
  }
  const policy: PolicyInput = { name, image: repository.name };
  if (object.metadata.namespace) policy.namespace = object.metadata.namespace;
  const { semver, alphabetical, numerical } = spec.policy;
  if (semver) policy.semver = semver.range;
  else if (alphabetical) policy.alphabetical = alphabetical.order ?? 'asc';
  else if (numerical) policy.numerical = numerical.order ?? 'asc';
  else {
    warn(object, 'skipped: spec.policy names none of semver, alphabetical, numerical');
    return null;
  }
  const { pattern, extract } = spec.filterTags ?? {};
  if (pattern || extract) {
    const converted = translateGoRegexp(pattern || '.*');
    if ('problem' in converted) {
      warn(object, `skipped: spec.filterTags.pattern: ${converted.problem}`);
      return null;
    }
    policy.filter = { pattern: pattern || '.*' };
    if (extract) policy.filter.extract = extract;
  }
  if (spec.digestReflectionPolicy === 'IfNotPresent' || spec.digestReflectionPolicy === 'Always') policy.digest = true;

  const compiled = compilePolicyRule(policy);
  if ('problems' in compiled) {
    warn(object, `converted, but tagpilot check will reject it until fixed: ${formatPolicyProblems(compiled.problems)}`);
  }
  return policy;
}

