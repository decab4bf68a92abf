// `tagpilot scan REPO --semver R | --alphabetical O | --numerical O --filter RE --extract T`:
// a policy from flags, validated exactly as a config policy is, with problems named by flag.
import { InputError } from '../errors.js';
import { compilePolicyRule, type Policy, type PolicyRule } from './policy.js';
import { formatPolicyProblems, type PolicyProblem } from './policy-problem.js';

/** The scan flags that shape a pick; strings as typed on the command line. */
export interface AdHocPolicyOptions {
  /** The repository scanned; becomes `policy.image`. */
  image: string;
  semver?: string | undefined;
  alphabetical?: string | undefined;
  numerical?: string | undefined;
  filter?: string | undefined;
  extract?: string | undefined;
  digest?: boolean | undefined;
}

/** The name ad hoc policies carry in messages and on `policy.name`. */
export const AD_HOC_POLICY_NAME = 'scan';

// Like Argo CD Image Updater, a bare `scan` picks the newest release.
const DEFAULT_RANGE = '*';

const FLAG_OF_FIELD: Record<string, string> = {
  '': '',
  semver: '--semver',
  alphabetical: '--alphabetical',
  numerical: '--numerical',
  'filter.pattern': '--filter',
  'filter.extract': '--extract',
};

/** Problems with the flags, `field` being the flag ('--semver', '--extract'); [] when they compile. */
export function adHocPolicyProblems(options: AdHocPolicyOptions): PolicyProblem[] {
  const compiled = compileAdHocRule(options);
  return 'problems' in compiled ? compiled.problems : [];
}

/**
 * Compiles scan flags into a policy; with no strategy flag it is `--semver '*'` (newest release).
 * Throws InputError (code POLICY_INVALID) naming the bad flag.
 */
export function compileAdHocPolicy(options: AdHocPolicyOptions): Policy {
  const compiled = compileAdHocRule(options);
  if ('problems' in compiled) {
    throw new InputError(`${AD_HOC_POLICY_NAME}: ${formatPolicyProblems(compiled.problems)}`, { code: 'POLICY_INVALID' });
  }
  return { name: AD_HOC_POLICY_NAME, image: options.image, digest: options.digest ?? false, evaluate: compiled.evaluate };
}

function compileAdHocRule(options: AdHocPolicyOptions): ReturnType<typeof compilePolicyRule> {
  const { semver, alphabetical, numerical, filter, extract } = options;
  const noStrategy = semver === undefined && alphabetical === undefined && numerical === undefined;
  const rule: PolicyRule = {
    semver: noStrategy ? DEFAULT_RANGE : semver,
    alphabetical,
    numerical,
    filter: filter === undefined ? undefined : { pattern: filter, extract },
  };
  const problems: PolicyProblem[] = [];
  const strategyFlags = [semver, alphabetical, numerical].filter((v) => v !== undefined).length;
  if (strategyFlags > 1) {
    problems.push({ field: '', message: 'give one of --semver, --alphabetical or --numerical, not several' });
  }
  if (extract !== undefined && filter === undefined) {
    problems.push({ field: 'filter.extract', message: 'needs --filter: the extract is expanded from its groups' });
  }
  const compiled = compilePolicyRule(rule);
  // The rule's own "exactly one strategy" problem speaks of config keys; ours above names the flags.
  if ('problems' in compiled) problems.push(...compiled.problems.filter((p) => p.field !== ''));
  if (problems.length === 0 && 'evaluate' in compiled) return compiled;
  return { problems: problems.map((p) => ({ field: FLAG_OF_FIELD[p.field] ?? p.field, message: p.message })) };
}
