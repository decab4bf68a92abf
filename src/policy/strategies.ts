// Every ordering strategy, keyed by the policy field that selects it (STYLE rule 3).
import { alphabeticalStrategy } from './alphabetical-strategy.js';
import { numericalStrategy } from './numerical-strategy.js';
import { semverStrategy } from './semver-strategy.js';
import type { Strategy } from './strategy.js';

/** The strategy table; a policy names exactly one of these keys. */
export const STRATEGIES = {
  semver: semverStrategy,
  alphabetical: alphabeticalStrategy,
  numerical: numericalStrategy,
} as const satisfies Record<string, Strategy>;

/** A key of STRATEGIES, which is also the policy config field. */
export type StrategyId = keyof typeof STRATEGIES;

/** The strategy ids in table order. */
export const STRATEGY_IDS = Object.keys(STRATEGIES) as StrategyId[];
