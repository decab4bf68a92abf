// The contract every ordering strategy (semver, alphabetical, numerical) fulfils.
import type { Skip } from './skip.js';

/** What a ranker orders values by: a parsed version, a number, or the string itself. */
export type RankKey = object | string;

/** A strategy bound to its option (a range, an order), built once when the config loads. */
export interface Ranker<K extends RankKey = RankKey> {
  /** What a value must parse as, for reasons ("semver", "a number"); null when every value ranks. */
  readonly parsesAs: string | null;
  /** The range as written, for reasons; null for strategies without one. */
  readonly range: string | null;
  /** The key a value ranks by, or why it is not a candidate. */
  rank(value: string): K | Skip;
  /** Positive when `a` is the better pick, negative when `b` is, 0 on a tie. */
  compare(a: K, b: K): number;
}

/** An ordering strategy, as kept in the STRATEGIES table. */
export interface Strategy {
  /** Validates the option and builds the ranker; a bad option is a config-time problem. */
  compile(option: string): { ranker: Ranker } | { problem: string };
}
