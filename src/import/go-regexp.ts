// Flux compiles tag patterns with Go's RE2 syntax; tagpilot with JavaScript's. The two agree on
// everything tag patterns use except a few spellings, rewritten here; what has no rewrite is
// reported instead of silently meaning something else. https://github.com/google/re2/wiki/Syntax
const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  space: '\\s',
};

/** Spellings with no JavaScript equivalent without flags tagpilot does not set. */
const UNSUPPORTED: ReadonlyArray<[RegExp, string]> = [
  [/\(\?[imsU]+\)|\(\?[imsU]*-?[imsU]*:/, 'inline flags such as (?i)'],
  [/\\[pP]/, 'Unicode classes (\\p{...})'],
  [/\\Q/, 'quoted literals (\\Q...\\E)'],
  [/\[:\^?[a-z]+:\]/, 'this POSIX character class'],
];

/** The JavaScript spelling of a Go regexp, or why there is none. */
export function fromGoRegexp(source: string): { source: string } | { problem: string } {
  const rewritten = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  for (const [pattern, what] of UNSUPPORTED) {
    if (pattern.test(rewritten)) return { problem: `${JSON.stringify(source)} uses ${what}, which JavaScript regexes lack` };
  }
  try {
    new RegExp(rewritten);
  } catch (err) {
    return { problem: `${JSON.stringify(source)} is not a valid JavaScript regex: ${(err as Error).message}` };
  }
  return { source: rewritten };
}
