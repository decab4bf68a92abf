// npm semver range syntax, and Masterminds' (Flux, Argo CD Image Updater), tested against our own
// SemanticVersion with tagpilot's prerelease rule.
import semver from 'semver';
import { readMastermindsRange, type ExcludedVersion } from './masterminds-range.js';
import { compareSemanticVersions, type SemanticVersion } from './semantic-version.js';

/** How a version relates to a range; 'prerelease' means only the prerelease rule keeps it out. */
export type RangeVerdict = 'in' | 'out' | 'prerelease';

/** A range compiled once at config time; `test` is the per-tag hot path. */
export interface SemverRange {
  /** The range as the user wrote it. */
  readonly text: string;
  test(version: SemanticVersion): RangeVerdict;
}

type Operator = semver.Comparator['operator'];

interface Bound {
  readonly holds: (comparison: number) => boolean;
  readonly version: SemanticVersion;
}

/** One `||` alternative: every bound must hold, and no `!=` may match. */
interface Alternative {
  readonly admitsPrerelease: boolean;
  readonly bounds: readonly Bound[];
  readonly excluded: readonly ExcludedVersion[];
}

const HOLDS: Record<Operator, (comparison: number) => boolean> = {
  '': (c) => c === 0,
  '=': (c) => c === 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/**
 * Compiles an npm or Masterminds semver range, or returns the problem. Prerelease rule (SPEC §2, Flux's
 * behaviour): a prerelease version can match an `||` alternative only when that alternative
 * names a prerelease (`>=1.0.0-0`, `^2.0.0-rc.1`), and then any prerelease in the bounds does,
 * not just those on the named major.minor.patch as npm's default would have it.
 */
export function compileSemverRange(text: string): { range: SemverRange } | { problem: string } {
  if (text.trim() === '') return { problem: 'expected a semver range such as ">=1.0.0 <2.0.0" (use "*" for any release)' };
  const read = readMastermindsRange(text);
  if (read.some((alternative) => alternative.npm === '' && alternative.excluded.length === 0)) {
    return { problem: `invalid semver range ${JSON.stringify(text)}: an alternative between || is empty` };
  }
  try {
    for (const alternative of read) new semver.Range(alternative.npm || '*');
  } catch (err) {
    return { problem: `invalid semver range ${JSON.stringify(text)}: ${(err as Error).message}` };
  }
  // Built per alternative because npm's Range drops null sets, so its `set` need not line up with `||`.
  const alternatives = read.flatMap(compileAlternative);
  return { range: { text, test: (version) => testAlternatives(alternatives, version) } };
}

function compileAlternative({ npm, excluded }: { npm: string; excluded: ExcludedVersion[] }): Alternative[] {
  const text = npm || '*';
  // The default mode shows what the user wrote; includePrerelease mode gives bounds that place
  // prereleases correctly (`>1.x` becomes `>=2.0.0-0`, so 2.0.0-rc.1 is above it).
  const admitsPrerelease =
    excluded.some((version) => version.prerelease.length > 0) || new semver.Range(text).set.some((set) => set.some(namesPrerelease));
  return new semver.Range(text, { includePrerelease: true }).set.map((set) => ({
    admitsPrerelease,
    bounds: set.filter((c) => c.value !== '').map(toBound),
    excluded,
  }));
}

// semver writes every exclusive upper bound it derives (`^1.2.3`, `<2`, `1.x`) as `<X.Y.Z-0`,
// meaning "below every X.Y.Z prerelease"; that excludes prereleases rather than naming one.
function namesPrerelease(c: semver.Comparator): boolean {
  if (c.value === '' || c.semver.prerelease.length === 0) return false;
  return !(c.operator === '<' && c.semver.prerelease.length === 1 && String(c.semver.prerelease[0]) === '0');
}

function toBound(c: semver.Comparator): Bound {
  const v = c.semver;
  return {
    holds: HOLDS[c.operator],
    version: { major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.map(String) },
  };
}

function testAlternatives(alternatives: readonly Alternative[], version: SemanticVersion): RangeVerdict {
  const isPrerelease = version.prerelease.length > 0;
  let inBoundsButPrerelease = false;
  for (const alternative of alternatives) {
    if (!withinBounds(alternative.bounds, version) || alternative.excluded.some((x) => isExcluded(x, version))) continue;
    if (!isPrerelease || alternative.admitsPrerelease) return 'in';
    inBoundsButPrerelease = true;
  }
  return inBoundsButPrerelease ? 'prerelease' : 'out';
}

function withinBounds(bounds: readonly Bound[], version: SemanticVersion): boolean {
  for (const bound of bounds) {
    if (!bound.holds(compareSemanticVersions(version, bound.version))) return false;
  }
  return true;
}

// Masterminds' `!=`: the parts it names must all be equal, prerelease included (`!=4.1` leaves out 4.1.0 and 4.1.7).
function isExcluded(excluded: ExcludedVersion, version: SemanticVersion): boolean {
  if (excluded.major !== null && excluded.major !== version.major) return false;
  if (excluded.minor !== null && excluded.minor !== version.minor) return false;
  if (excluded.patch !== null && excluded.patch !== version.patch) return false;
  return excluded.prerelease.length === version.prerelease.length && excluded.prerelease.every((id, i) => id === version.prerelease[i]);
}
