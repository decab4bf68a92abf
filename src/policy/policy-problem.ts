// A config-time problem in one policy, before the loader adds file positions.

/** `field` is the key inside the policy ('semver', 'filter.pattern', 'filter.extract'); '' for the policy as a whole. */
export interface PolicyProblem {
  field: string;
  message: string;
}

/** `field: message; field: message`, the field left out when it is the policy as a whole. */
export function formatPolicyProblems(problems: readonly PolicyProblem[]): string {
  return problems.map((p) => (p.field === '' ? p.message : `${p.field}: ${p.message}`)).join('; ');
}
