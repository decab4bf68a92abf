// The one Go→JavaScript pattern translator: what it rewrites, what it refuses, and that the result
// matches tags as Go's regexp would. Cases named by source: Flux's docs
// (fluxcd.io/flux/components/image/imagepolicies/#filter-tags, and the `flux create image policy`
// examples), image-reflector-controller internal/policy/filter_test.go, and RE2's syntax page
// (github.com/google/re2/wiki/Syntax) for the constructs JavaScript reads differently.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGoRegexp, translateGoRegexp } from '../../src/policy/go-regexp.js';

describe('translateGoRegexp: rewrites', () => {
  const cases: Array<{ source: string; pattern: string; js: string; flags?: string }> = [
    { source: 'Flux docs, flux create image policy --filter-regex', pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', js: '^main-[a-f0-9]+-(?<ts>[0-9]+)' },
    { source: 'Flux docs, filterTags numerical example', pattern: '^RELEASE\\.(?P<timestamp>.*)Z$', js: '^RELEASE\\.(?<timestamp>.*)Z$' },
    { source: 'Flux docs, default exclusionList', pattern: '^.*\\.sig$', js: '^.*\\.sig$' },
    { source: 'filter_test.go "valid pattern"', pattern: '^ver', js: '^ver' },
    { source: 'filter_test.go "valid pattern with capture group"', pattern: 'ver(\\d+)', js: 'ver(\\d+)' },
    { source: 'RE2 \\A and \\z (JavaScript reads the letters A and z)', pattern: '\\Av\\d+\\z', js: '(?<![\\s\\S])v\\d+(?![\\s\\S])' },
    { source: 'RE2 POSIX classes (JavaScript reads [[:digit:]] as a class of ":digt" then "]")', pattern: '^[[:digit:]]+-[[:alpha:]_]+$', js: '^[0-9]+-[A-Za-z_]+$' },
    { source: 'RE2 leading (?i) becomes the i flag', pattern: '(?i)^main-', js: '^main-', flags: 'i' },
    { source: 'RE2 leading (?s)', pattern: '(?s)a.b', js: 'a.b', flags: 's' },
    { source: 'RE2 \\Q…\\E literal text', pattern: '^\\Q1.0+build\\E$', js: '^1\\.0\\+build$' },
    { source: 'RE2 ] first in a class is a literal (JavaScript: [] matches nothing)', pattern: '[]a]', js: '[\\]a]' },
    { source: 'RE2 \\x{…}', pattern: '\\x{41}', js: '\\u0041' },
    { source: 'JavaScript named groups pass unchanged', pattern: '^(?<n>\\d+)$', js: '^(?<n>\\d+)$' },
    { source: 'JavaScript lookahead (not RE2) is still a JavaScript pattern', pattern: '^v(?!0\\.)', js: '^v(?!0\\.)' },
  ];
  for (const c of cases) {
    it(`${c.source}: ${c.pattern}`, () => {
      assert.deepEqual(translateGoRegexp(c.pattern), { source: c.js, flags: c.flags ?? '' });
    });
  }
});

describe('translateGoRegexp: refused at load, never matched differently', () => {
  const cases: Array<{ label: string; pattern: string; problem: RegExp }> = [
    { label: 'inline flags in the middle', pattern: '^main-(?i)abc', problem: /only at the very start/ },
    { label: 'flag groups', pattern: '^(?i:main)-', problem: /only at the very start/ },
    { label: 'ungreedy flag', pattern: '(?U)a+', problem: /inline flag "U"/ },
    { label: 'Unicode classes', pattern: '^\\p{Greek}+$', problem: /Unicode classes/ },
    { label: '\\C', pattern: 'a\\Cb', problem: /any byte/ },
    { label: 'Python back-reference', pattern: '(?P<x>a)(?P=x)', problem: /not RE2 syntax/ },
    { label: 'negated POSIX class', pattern: '[[:^digit:]]', problem: /negated class/ },
    { label: 'unknown POSIX class', pattern: '[[:nope:]]', problem: /not a POSIX class/ },
    { label: 'an escape neither dialect has', pattern: 'v\\Z', problem: /\\Z/ },
    { label: 'possessive quantifier (neither dialect)', pattern: 'a*+', problem: /invalid regular expression: / },
    { label: 'atomic group (neither dialect)', pattern: '(?>a)', problem: /invalid regular expression: / },
    { label: 'unclosed group', pattern: '(unclosed', problem: /invalid regular expression: / },
  ];
  for (const c of cases) {
    it(`${c.label}: ${c.pattern}`, () => {
      const result = translateGoRegexp(c.pattern);
      assert.ok('problem' in result, JSON.stringify(result));
      assert.match(result.problem, c.problem);
      assert.ok(result.problem.includes(JSON.stringify(c.pattern)), 'the problem names the pattern');
    });
  }
});

describe('compileGoRegexp: matches as Go would', () => {
  // Expected matches worked out from Go's regexp semantics for each pattern.
  const cases: Array<{ pattern: string; tags: string[]; matching: string[] }> = [
    { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', tags: ['main-abc123-1700000000', 'main-zzz-1', 'dev-abc-1'], matching: ['main-abc123-1700000000'] },
    { pattern: '(?i)^RC-', tags: ['rc-1', 'RC-2', 'xrc-3'], matching: ['rc-1', 'RC-2'] },
    { pattern: '\\A[[:digit:]]+\\z', tags: ['123', '12a', 'a12'], matching: ['123'] },
    { pattern: '^\\Q1.0\\E', tags: ['1.0.5', '1x0'], matching: ['1.0.5'] },
    { pattern: '[]-]', tags: ['a-b', 'a]b', 'ab'], matching: ['a-b', 'a]b'] },
  ];
  for (const c of cases) {
    it(c.pattern, () => {
      const compiled = compileGoRegexp(c.pattern);
      assert.ok('regexp' in compiled);
      assert.deepEqual(c.tags.filter((tag) => compiled.regexp.test(tag)), c.matching);
    });
  }
  it('the named group of (?P<ts>…) is readable by name', () => {
    const compiled = compileGoRegexp('^main-[a-f0-9]+-(?P<ts>[0-9]+)');
    assert.ok('regexp' in compiled);
    assert.equal(compiled.regexp.exec('main-abc-42')?.groups?.ts, '42');
  });
});
