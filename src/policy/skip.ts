// Why a tag is not a candidate. Small integers so the evaluation loop can count them in a tuple.

/** The reasons a tag drops out before ranking; `Skip.x` values index `SkipCounts`. */
export const Skip = {
  /** The filter pattern does not match the tag. */
  noMatch: 0,
  /** The pattern matches but the extract template expands to ''. */
  emptyExtract: 1,
  /** The value does not parse for the strategy (not strict semver, not a number). */
  unparsable: 2,
  /** Parsed, but outside the semver range. */
  outOfRange: 3,
  /** A prerelease that the range would admit if it named a prerelease. */
  prerelease: 4,
} as const;
export type Skip = (typeof Skip)[keyof typeof Skip];

/** One counter per `Skip` value. */
export type SkipCounts = [number, number, number, number, number];
