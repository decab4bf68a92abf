// `asc` | `desc` for the alphabetical and numerical strategies (SPEC §2).

/** `asc` picks the greatest value, `desc` the least (Flux's ImagePolicy meaning). */
export type SortOrder = 'asc' | 'desc';

/** The order named by a config value, or null when it is neither `asc` nor `desc`. */
export function parseSortOrder(option: string): SortOrder | null {
  return option === 'asc' || option === 'desc' ? option : null;
}

/** The problem message for a bad order value. */
export function sortOrderProblem(option: string): string {
  return `expected asc or desc, got ${JSON.stringify(option)}`;
}
