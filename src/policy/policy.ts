// SPEC §2: a policy is compiled once when the config loads; evaluate(tags) returns the pick or why
// there is none. Pure: the registry lookup (tags, and the digest when `digest` is set) is the caller's.
import type { PolicyConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { evaluateTags } from './evaluate-tags.js';
import { formatPolicyProblems, type PolicyProblem } from './policy-problem.js';
import { STRATEGIES, STRATEGY_IDS } from './strategies.js';
import type { Ranker } from './strategy.js';
import { compileTagSelector, type TagFilter } from './tag-selector.js';

/** The tag a policy picked; the original tag even when an extract was ranked. */
export interface Pick {
  tag: string;
}

/** What happened to the tags: `seen = filtered + unparsable + outOfRange + candidates`. */
export interface EvaluationStats {
  /** Tags given, duplicates included. */
  seen: number;
  /** Not matched by the filter pattern, or matched with an empty extract. */
  filtered: number;
  /** Passed the filter but not strict semver / not a number. */
  unparsable: number;
  /** Parsed but outside the semver range, prereleases kept out by the prerelease rule included. */
  outOfRange: number;
  /** Left to rank; the pick is one of these. */
  candidates: number;
}

/** The outcome of one evaluation: `reason` is non-null exactly when `pick` is null. */
export interface Evaluation {
  pick: Pick | null;
  /** The best candidates, best first (at most RANKED_KEPT); `pick` is the first. */
  ranked: string[];
  reason: string | null;
  stats: EvaluationStats;
}

/** A compiled policy; `evaluate` cannot fail on any list of tags. */
export interface Policy {
  readonly name: string;
  readonly image: string;
  /** Pin the digest too: the caller resolves `pick.tag` to a digest and writes `tag@digest`. */
  readonly digest: boolean;
  evaluate(tags: readonly string[]): Evaluation;
}

/** The fields that decide a pick: one strategy plus an optional filter (PolicyConfig satisfies it). */
export interface PolicyRule {
  semver?: string | undefined;
  alphabetical?: string | undefined;
  numerical?: string | undefined;
  filter?: TagFilter | undefined;
}

/** Builds the evaluator of a rule, or every problem with it; shared by config and CLI policies. */
export function compilePolicyRule(
  rule: PolicyRule,
): { evaluate: (tags: readonly string[]) => Evaluation } | { problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  let ranker: Ranker | undefined;
  const given = STRATEGY_IDS.filter((id) => rule[id] !== undefined);
  const [id] = given;
  if (given.length !== 1 || id === undefined) {
    const got = given.length === 0 ? 'none' : given.join(' and ');
    problems.push({ field: '', message: `expected exactly one of ${STRATEGY_IDS.join(', ')}; got ${got}` });
  } else {
    const compiled = STRATEGIES[id].compile(rule[id]!);
    if ('problem' in compiled) problems.push({ field: id, message: compiled.problem });
    else ranker = compiled.ranker;
  }
  const selector = compileTagSelector(rule.filter);
  if ('problems' in selector) problems.push(...selector.problems);
  if (problems.length > 0 || ranker === undefined || !('select' in selector)) return { problems };
  const { select } = selector;
  const rank = ranker;
  const filterText = { pattern: rule.filter?.pattern ?? null, extract: rule.filter?.extract ?? null };
  return { evaluate: (tags) => evaluateTags(tags, select, rank, filterText) };
}

/** Everything wrong with a policy's range, order, pattern or extract; [] when it compiles. */
export function policyProblems(config: PolicyConfig): PolicyProblem[] {
  const compiled = compilePolicyRule(config);
  return 'problems' in compiled ? compiled.problems : [];
}

/** Compiles a policy from config; throws InputError (code POLICY_INVALID) naming the policy and field. */
export function compilePolicy(config: PolicyConfig): Policy {
  const compiled = compilePolicyRule(config);
  if ('problems' in compiled) {
    throw new InputError(`policy "${config.name}": ${formatPolicyProblems(compiled.problems)}`, { code: 'POLICY_INVALID' });
  }
  return { name: config.name, image: config.image, digest: config.digest, evaluate: compiled.evaluate };
}
