import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyConfig } from '../../src/config/schema.js';
import { compilePolicy, type EvaluationStats } from '../../src/policy/policy.js';

type Rule = Pick<PolicyConfig, 'semver' | 'alphabetical' | 'numerical' | 'filter'>;

function policyOf(rule: Rule) {
  return compilePolicy({ name: 'app-stable', image: 'app', digest: false, ...rule });
}

interface Case {
  label: string;
  rule: Rule;
  tags: string[];
  pick: string | null;
  /** Exact when a string; otherwise a pattern. Only checked when given. */
  reason?: string | RegExp;
  stats?: Partial<EvaluationStats>;
}

function check(c: Case): void {
  const evaluation = policyOf(c.rule).evaluate(c.tags);
  assert.equal(evaluation.pick?.tag ?? null, c.pick, `reason: ${evaluation.reason}`);
  assert.equal(evaluation.reason === null, evaluation.pick !== null, 'reason is set exactly when there is no pick');
  if (typeof c.reason === 'string') assert.equal(evaluation.reason, c.reason);
  else if (c.reason !== undefined) assert.match(evaluation.reason ?? '', c.reason);
  if (c.stats !== undefined) assert.deepEqual({ ...evaluation.stats, ...c.stats }, evaluation.stats);
  // Listing order never matters: the reversed list gives the same evaluation.
  assert.deepEqual(policyOf(c.rule).evaluate([...c.tags].reverse()), evaluation);
}

function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) it(c.label, () => check(c));
  });
}

table('semver', [
  { label: 'picks the highest version in range', rule: { semver: '>=1.0.0 <2.0.0' }, tags: ['1.0.0', '1.4.2', '1.10.0', '2.0.0', '0.9.0'], pick: '1.10.0', stats: { seen: 5, outOfRange: 2, candidates: 3 } },
  { label: 'keeps the v prefix as written', rule: { semver: '^1.0.0' }, tags: ['1.1.0', 'v1.2.0'], pick: 'v1.2.0' },
  { label: 'loose versions are skipped as unparsable', rule: { semver: '*' }, tags: ['1.2', '01.2.3', '1.2.3.4', 'V1.3.0', 'latest', '1.0.0'], pick: '1.0.0', stats: { unparsable: 5, candidates: 1 } },
  { label: 'prereleases are out when the range names none', rule: { semver: '>=1.0.0' }, tags: ['1.0.0', '1.1.0-rc.1'], pick: '1.0.0', stats: { outOfRange: 1, candidates: 1 } },
  { label: '>=1.0.0-0 admits prereleases of later versions', rule: { semver: '>=1.0.0-0' }, tags: ['1.0.0', '1.1.0-rc.1'], pick: '1.1.0-rc.1' },
  { label: 'the release outranks its own prereleases', rule: { semver: '>=1.0.0-0' }, tags: ['1.1.0-rc.1', '1.1.0', '1.1.0-rc.2'], pick: '1.1.0' },
  { label: 'rc.10 outranks rc.9', rule: { semver: '>=1.0.0-0' }, tags: ['1.0.0-rc.9', '1.0.0-rc.10', '1.0.0-rc.2'], pick: '1.0.0-rc.10' },
  { label: 'rc10 outranks rc9', rule: { semver: '>=1.0.0-0' }, tags: ['1.0.0-rc9', '1.0.0-rc10', '1.0.0-rc2'], pick: '1.0.0-rc10' },
  { label: 'v1.0.0 and 1.0.0 tie; the greater string (v1.0.0) wins', rule: { semver: '1.0.0' }, tags: ['1.0.0', 'v1.0.0'], pick: 'v1.0.0' },
  { label: 'build metadata ties; the greater string wins', rule: { semver: '1.0.0' }, tags: ['1.0.0+20240102', '1.0.0+20240101', '1.0.0'], pick: '1.0.0+20240102' },
  { label: 'caret excludes prereleases of the next major', rule: { semver: '^1.2.3' }, tags: ['1.2.3', '2.0.0-rc.1', '2.0.0'], pick: '1.2.3' },
  { label: '|| takes the best of either side', rule: { semver: '1.x || 3.x' }, tags: ['1.9.0', '2.5.0', '3.0.1'], pick: '3.0.1' },
  { label: 'only the alternative naming a prerelease admits prereleases', rule: { semver: '>=1.0.0-0 <2.0.0 || >=3.0.0' }, tags: ['1.5.0-rc.1', '3.1.0-rc.1'], pick: '1.5.0-rc.1', stats: { outOfRange: 1 } },
  { label: 'a major beyond 2^53-1 is unparsable', rule: { semver: '*' }, tags: ['9007199254740992.0.0', '1.0.0'], pick: '1.0.0', stats: { unparsable: 1 } },
  { label: 'duplicates are counted, not double-picked', rule: { semver: '*' }, tags: ['1.0.0', '1.0.0'], pick: '1.0.0', stats: { seen: 2, candidates: 2 } },
]);

table('alphabetical', [
  { label: 'asc picks the greatest', rule: { alphabetical: 'asc' }, tags: ['b', 'c', 'a'], pick: 'c' },
  { label: 'desc picks the least', rule: { alphabetical: 'desc' }, tags: ['b', 'c', 'a'], pick: 'a' },
  { label: 'byte-wise: digits are not numbers', rule: { alphabetical: 'asc' }, tags: ['10', '9'], pick: '9' },
  { label: 'byte-wise: uppercase sorts before lowercase', rule: { alphabetical: 'asc' }, tags: ['a', 'Z'], pick: 'a' },
  { label: 'timestamps in the tag order naturally', rule: { alphabetical: 'asc' }, tags: ['RELEASE.2024-01-05T10-00-00Z', 'RELEASE.2023-12-31T23-59-59Z'], pick: 'RELEASE.2024-01-05T10-00-00Z' },
  {
    label: 'asc: equal extracts go to the greater tag',
    rule: { alphabetical: 'asc', filter: { pattern: '^(\\d+)-', extract: '$1' } },
    tags: ['5-a', '4-z', '5-b'],
    pick: '5-b',
  },
  {
    label: 'desc: equal extracts also go to the greater tag',
    rule: { alphabetical: 'desc', filter: { pattern: '^(\\d+)-', extract: '$1' } },
    tags: ['5-a', '6-z', '5-b'],
    pick: '5-b',
  },
]);

table('numerical', [
  { label: 'asc picks the greatest number', rule: { numerical: 'asc' }, tags: ['9', '10', '2'], pick: '10' },
  { label: 'desc picks the least number', rule: { numerical: 'desc' }, tags: ['9', '10', '2'], pick: '2' },
  { label: 'non-numbers are skipped and counted, not fatal', rule: { numerical: 'asc' }, tags: ['1', 'latest', '2', ''], pick: '2', stats: { unparsable: 2, candidates: 2 } },
  { label: 'leading zeros are the same number', rule: { numerical: 'asc' }, tags: ['007', '6'], pick: '007' },
  { label: 'equal numbers go to the greater tag', rule: { numerical: 'asc' }, tags: ['7', '07', '007'], pick: '7' },
  { label: 'decimals by value: 1.5 > 1.10', rule: { numerical: 'asc' }, tags: ['1.10', '1.5'], pick: '1.5' },
  { label: 'negatives', rule: { numerical: 'desc' }, tags: ['0', '-1', '3'], pick: '-1' },
  { label: 'exact beyond 2^53', rule: { numerical: 'asc' }, tags: ['9007199254740993', '9007199254740992'], pick: '9007199254740993' },
  { label: 'hex, exponents and signs are not numbers', rule: { numerical: 'asc' }, tags: ['0x1f', '1e3', '+5', '.5', '5.', '4'], pick: '4', stats: { unparsable: 5 } },
]);

table('filter and extract', [
  { label: 'the pattern is unanchored', rule: { alphabetical: 'asc', filter: { pattern: 'main' } }, tags: ['x-main-1', 'dev'], pick: 'x-main-1', stats: { filtered: 1 } },
  {
    label: 'the extract is ranked, the original tag is picked',
    rule: { numerical: 'asc', filter: { pattern: '^main-[a-f0-9]+-(?<ts>\\d+)$', extract: '$ts' } },
    tags: ['main-abc123-1700000009', 'main-def456-1700000010', 'pr-7'],
    pick: 'main-def456-1700000010',
  },
  {
    label: 'semver parses the extract',
    rule: { semver: '>=1.0.0', filter: { pattern: '^release-(?<version>.+)$', extract: '$version' } },
    tags: ['release-1.2.0', 'release-1.10.0', '1.99.0'],
    pick: 'release-1.10.0',
    stats: { filtered: 1, candidates: 2 },
  },
  {
    label: '${name} with literal text builds a version',
    rule: { semver: '^3.0.0', filter: { pattern: '^(?<major>\\d+)_(?<minor>\\d+)$', extract: '${major}.${minor}.0' } },
    tags: ['3_9', '3_14', '4_0'],
    pick: '3_14',
  },
  {
    label: 'an empty extract skips the tag',
    rule: { numerical: 'asc', filter: { pattern: '^main-(\\d+)?', extract: '$1' } },
    tags: ['main-', 'main-3', 'main-x'],
    pick: 'main-3',
    stats: { filtered: 2, candidates: 1 },
  },
  {
    label: 'ties on extracted values go to the greater tag',
    rule: { semver: '*', filter: { pattern: '^(\\d+\\.\\d+\\.\\d+)-', extract: '$1' } },
    tags: ['1.0.0-b', '1.0.0-a', '0.9.0-z'],
    pick: '1.0.0-b',
  },
]);

table('reasons when there is no pick', [
  { label: 'no tags', rule: { semver: '*' }, tags: [], pick: null, reason: 'no tags', stats: { seen: 0, candidates: 0 } },
  {
    label: 'no tag matches the filter',
    rule: { alphabetical: 'asc', filter: { pattern: '^main-\\d+$' } },
    tags: ['dev', 'latest'],
    pick: null,
    reason: 'no tag matches filter ^main-\\d+$ (2 tags seen)',
    stats: { filtered: 2 },
  },
  {
    label: 'every extract is empty',
    rule: { numerical: 'asc', filter: { pattern: '^main(-\\d+)?$', extract: '$1' } },
    tags: ['main', 'dev'],
    pick: null,
    reason: '1 tag matches filter ^main(-\\d+)?$, but extract $1 is empty for it',
  },
  {
    label: 'nothing parses as semver, with the least such tag as example',
    rule: { semver: '*' },
    tags: ['latest', 'edge', '1.2'],
    pick: null,
    reason: 'none of 3 tags parses as semver (e.g. "1.2")',
    stats: { unparsable: 3 },
  },
  {
    label: 'nothing filtered parses as a number',
    rule: { numerical: 'asc', filter: { pattern: '^build-' } },
    tags: ['build-x', 'other'],
    pick: null,
    reason: 'none of 1 tag matching filter ^build- parses as a number (e.g. "build-x")',
  },
  {
    label: 'no extracted value parses, with value and tag shown',
    rule: { numerical: 'asc', filter: { pattern: '^build-(\\w+)$', extract: '$1' } },
    tags: ['build-x', 'build-y'],
    pick: null,
    reason: 'none of 2 values extracted with $1 parses as a number (e.g. "x" from tag "build-x")',
  },
  {
    label: 'nothing in range',
    rule: { semver: '>=2.0.0 <3.0.0' },
    tags: ['1.0.0', '3.0.0'],
    pick: null,
    reason: 'none of 2 semver tags is in range >=2.0.0 <3.0.0',
    stats: { outOfRange: 2 },
  },
  {
    label: 'nothing in range, explaining the prereleases and the rest',
    rule: { semver: '>=2.0.0 <3.0.0', filter: { pattern: '^\\d|latest' } },
    tags: ['2.1.0-rc.1', '1.0.0', 'latest', 'dev'],
    pick: null,
    reason:
      'none of 2 semver tags is in range >=2.0.0 <3.0.0; 1 of them is a prerelease (prereleases match only when the range names one, as >=1.0.0-0 does); 1 other tag did not parse as semver; 1 tag did not pass the filter',
    stats: { seen: 4, filtered: 1, unparsable: 1, outOfRange: 2, candidates: 0 },
  },
]);

describe('compiled policy fields', () => {
  it('carries name, image and digest from the config', () => {
    const policy = compilePolicy({ name: 'app-pinned', image: 'app', semver: '*', digest: true });
    assert.deepEqual({ name: policy.name, image: policy.image, digest: policy.digest }, { name: 'app-pinned', image: 'app', digest: true });
  });
  it('defaults to no digest pinning when digest is false', () => {
    assert.equal(compilePolicy({ name: 'p', image: 'app', semver: '*', digest: false }).digest, false);
  });
});
