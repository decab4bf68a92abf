// Strict SemVer 2.0 for tags: parsing and precedence, without npm semver's per-call object churn.

/** A parsed SemVer 2.0 version. Build metadata is dropped: it never affects precedence. */
export interface SemanticVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Prerelease identifiers; empty for a release. */
  readonly prerelease: readonly string[];
}

// semver.org's reference regex plus npm's optional lowercase `v`. `\d` is [0-9] without the u flag.
const STRICT_SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/;

const RELEASE: readonly string[] = Object.freeze([]);

/**
 * The version a tag spells in strict SemVer 2.0 (`1.2.3`, `v1.2.3-rc.1+build`), or null. Not
 * loose: `1.2`, `01.2.3`, `V1.2.3` and ` 1.2.3` are null. Parts above 2^53-1 are null, as in npm.
 */
export function parseSemanticVersion(text: string): SemanticVersion | null {
  const m = STRICT_SEMVER.exec(text);
  if (m === null) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3]);
  if (major > Number.MAX_SAFE_INTEGER || minor > Number.MAX_SAFE_INTEGER || patch > Number.MAX_SAFE_INTEGER) {
    return null;
  }
  return { major, minor, patch, prerelease: m[4] === undefined ? RELEASE : m[4].split('.') };
}

/**
 * SemVer precedence: negative, 0 or positive. One deliberate departure from SemVer 2.0 §11:
 * inside an alphanumeric prerelease identifier, digit runs compare as numbers, so `rc10` > `rc9`
 * (the spec's ASCII order says the opposite, which is what Flux users keep tripping over).
 */
export function compareSemanticVersions(a: SemanticVersion, b: SemanticVersion): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  return comparePrereleases(a.prerelease, b.prerelease);
}

function comparePrereleases(a: readonly string[], b: readonly string[]): number {
  // A release outranks all of its prereleases.
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const ALL_DIGITS = /^\d+$/;

/** Prerelease identifier order: numeric < alphanumeric; numbers by value; alphanumerics naturally. */
export function compareIdentifiers(a: string, b: string): number {
  const aNumeric = ALL_DIGITS.test(a);
  const bNumeric = ALL_DIGITS.test(b);
  if (aNumeric && bNumeric) return compareDigitStrings(stripLeadingZeros(a), stripLeadingZeros(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  const natural = compareNatural(a, b);
  if (natural !== 0) return natural;
  // `rc01` and `rc1` are naturally equal; plain order keeps the order total.
  return a < b ? -1 : a > b ? 1 : 0;
}

// Character by character, except that two digit runs met at the same point compare by value.
// Transitive: a non-digit below '0' < any digit run < a non-digit above '9'.
function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      const iEnd = digitRunEnd(a, i);
      const jEnd = digitRunEnd(b, j);
      const c = compareDigitStrings(stripLeadingZeros(a.slice(i, iEnd)), stripLeadingZeros(b.slice(j, jEnd)));
      if (c !== 0) return c;
      i = iEnd;
      j = jEnd;
    } else {
      if (ca !== cb) return ca < cb ? -1 : 1;
      i++;
      j++;
    }
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function digitRunEnd(s: string, start: number): number {
  let end = start;
  while (end < s.length && isDigit(s.charCodeAt(end))) end++;
  return end;
}

function stripLeadingZeros(digits: string): string {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  return digits.slice(start);
}

// Exact for any length, unlike Number(): identifiers may exceed 2^53.
function compareDigitStrings(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
