// Masterminds ranges (the syntax of Flux's ImagePolicy and Argo CD Image Updater's constraints) give
// Flux's results. Cases copied as data from:
// - fluxcd/image-reflector-controller internal/policy/semver_test.go (TestNewSemVer, TestSemVer_Latest);
// - Masterminds/semver constraints_test.go TestConstraintsCheck (the checker Flux and Argo use), every
//   case whose version is strict SemVer (tags such as "1.4" are skipped by tagpilot, as by Flux);
// - Masterminds/semver TestNewConstraint for what must parse or be refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicyRule } from '../../src/policy/policy.js';
import { parseSemanticVersion } from '../../src/policy/semantic-version.js';
import { compileSemverRange } from '../../src/policy/semver-range.js';

describe('Flux semver_test.go TestNewSemVer', () => {
  for (const range of ['1.0.x', '^1.0', '=1.0.0', '~1.0', '>=1.0', '>0,<2.0']) {
    it(`accepts ${JSON.stringify(range)}`, () => assert.ok('range' in compileSemverRange(range)));
  }
  for (const range of ['1.0.0p', '1x', 'x1', '-1', 'a', '']) {
    it(`refuses ${JSON.stringify(range)}`, () => assert.ok('problem' in compileSemverRange(range)));
  }
});

describe('Flux semver_test.go TestSemVer_Latest', () => {
  const cases: Array<{ label: string; range: string; tags: string[]; pick: string | null }> = [
    { label: 'Regular', range: '1.0.x', tags: ['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'], pick: '1.0.1' },
    { label: 'Regular with prefix', range: '1.0.x', tags: ['v1.2.3', 'v1.0.0', 'v0.1.0'], pick: 'v1.0.0' },
    { label: 'With invalid prefix', range: '1.0.x', tags: ['b1.2.3', 'b1.0.0', 'b0.1.0'], pick: null },
    { label: 'With empty list', range: '1.0.x', tags: [], pick: null },
    { label: 'With non-matching version list', range: '1.0.x', tags: ['1.2.0'], pick: null },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const rule = compilePolicyRule({ semver: c.range });
      assert.ok('evaluate' in rule);
      assert.equal(rule.evaluate(c.tags).pick?.tag ?? null, c.pick);
    });
  }
});

describe('Masterminds TestNewConstraint: what parses', () => {
  const accepted = ['>= 1.1', '>40.50.60, < 50.70', '2.0', 'v2.3.5-20161202202307-sha.e8fc5e5', '>= 1.2.3 < 2.0', '>= 1.2.3 < 2.0 || => 3.0 < 4', '>= 1.2.3, < 2.0', '>= 1.2.3, < 2.0 || => 3.0, < 4', '3 - 4 || => 3.0, < 4', '12.3.34 ~1.2.3', '1.0.0 - 2.0.0, <=2.0.0'];
  for (const range of accepted) it(`accepts ${JSON.stringify(range)}`, () => assert.ok('range' in compileSemverRange(range), JSON.stringify(compileSemverRange(range))));
  const refused = ['>= bar', 'BAR >= 1.2.3', '12.3.4.1234', '12.23.4.1234', '12.3.34.1234'];
  for (const range of refused) it(`refuses ${JSON.stringify(range)}`, () => assert.ok('problem' in compileSemverRange(range)));
});

// [constraint, version, Check result] from Masterminds' TestConstraintsCheck.
const CHECKS: Array<[string, string, boolean]> = [
  ["*", "1.2.3", true],
  ["~0.0.0", "1.2.3", true],
  ["0.x.x", "1.2.3", false],
  ["0.0.x", "1.2.3", false],
  ["0.0.0", "1.2.3", false],
  ["^0.0.0", "1.2.3", false],
  ["= 2.0", "1.2.3", false],
  ["= 2.0", "2.0.0", true],
  ["4.1", "4.1.0", true],
  ["4.1.x", "4.1.3", true],
  ["!=4.1", "4.1.0", false],
  ["!=4.1-alpha", "4.1.0-alpha", false],
  ["!=4.1-alpha", "4.1.1-alpha", false],
  ["!=4.1-alpha", "4.1.0", true],
  ["!=4.1", "5.1.0", true],
  ["!=4.x", "5.1.0", true],
  ["!=4.x", "4.1.0", false],
  ["!=4.1.x", "4.2.0", true],
  ["!=4.2.x", "4.2.3", false],
  [">1.1", "4.1.0", true],
  [">1.1", "1.1.0", false],
  ["<1.1", "0.1.0", true],
  ["<1.1", "1.1.0", false],
  ["<1.1", "1.1.1", false],
  ["<1.x", "1.1.1", false],
  ["<1.x", "0.1.1", true],
  ["<1.x", "2.0.0", false],
  ["<1.1.x", "1.2.1", false],
  ["<1.1.x", "1.1.500", false],
  ["<1.1.x", "1.0.500", true],
  ["<1.2.x", "1.1.1", true],
  [">=1.1", "4.1.0", true],
  [">=1.1", "4.1.0-beta", false],
  [">=1.1", "1.1.0", true],
  [">=1.1", "0.0.9", false],
  ["<=1.1", "0.1.0", true],
  ["<=1.1", "0.1.0-alpha", false],
  ["<=1.1-a", "0.1.0-alpha", true],
  ["<=1.1", "1.1.0", true],
  ["<=1.x", "1.1.0", true],
  ["<=2.x", "3.0.0", false],
  ["<=1.1", "1.1.1", true],
  ["<=1.1.x", "1.2.500", false],
  ["<=4.5", "3.4.0", true],
  ["<=4.5", "3.7.0", true],
  ["<=4.5", "4.6.3", false],
  [">1.1, <2", "1.1.1", false],
  [">1.1, <2", "1.2.1", true],
  [">1.1, <3", "4.3.2", false],
  [">=1.1, <2, !=1.2.3", "1.2.3", false],
  [">1.1 <2", "1.1.1", false],
  [">1.1 <2", "1.2.1", true],
  [">1.1    <3", "4.3.2", false],
  [">=1.1    <2    !=1.2.3", "1.2.3", false],
  [">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true],
  [">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false],
  [">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true],
  [">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false],
  [">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false],
  [">=1.1 <2 !=1.2.3", "1.2.3", false],
  [">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true],
  [">=1.1 <2 !=1.2.3 || > 3", "3.1.2", false],
  [">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true],
  [">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false],
  [">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false],
  ["> 1.1, <     2", "1.1.1", false],
  [">   1.1, <2", "1.2.1", true],
  [">1.1, <  3", "4.3.2", false],
  [">= 1.1, <     2, !=1.2.3", "1.2.3", false],
  ["> 1.1 < 2", "1.1.1", false],
  [">1.1 < 2", "1.2.1", true],
  ["> 1.1    <3", "4.3.2", false],
  [">=1.1    < 2    != 1.2.3", "1.2.3", false],
  [">= 1.1, <2, !=1.2.3 || > 3", "4.1.2", true],
  [">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", false],
  [">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", true],
  [">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", false],
  [">= 1.1, <2, !=1.2.3 || > 3", "1.2.3", false],
  [">= 1.1 <2 != 1.2.3", "1.2.3", false],
  [">= 1.1 <2 != 1.2.3 || > 3", "4.1.2", true],
  [">= 1.1 <2 != 1.2.3 || > 3", "3.1.2", false],
  [">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true],
  [">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", false],
  [">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", false],
  [">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true],
  [">= 1.0.0  <= 2.0.0-beta", "1.0.1", true],
  [">= 1.0.0  <= 2.0.0-beta", "3.0.0", false],
  [">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", true],
  [">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false],
  [">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3", "1.0.1-beta", true],
  [">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", false],
  [">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true],
  ["1.1 - 2", "1.1.1", true],
  ["1.5.0 - 4.5", "3.7.0", true],
  ["1.1-3", "4.3.2", false],
  ["^1.1", "1.1.1", true],
  ["^1.1", "4.3.2", false],
  ["^1.x", "1.1.1", true],
  ["^2.x", "1.1.1", false],
  ["^1.x", "2.1.1", false],
  ["^1.x", "1.1.1-beta1", false],
  ["^1.1.2-alpha", "1.2.1-beta1", true],
  ["^1.2.x-alpha", "1.1.1-beta1", false],
  ["^0.0.1", "0.0.1", true],
  ["^0.0.1", "0.3.1", false],
  ["~*", "2.1.1", true],
  ["~1", "2.1.1", false],
  ["~1", "1.3.5", true],
  ["~1.x", "2.1.1", false],
  ["~1.x", "1.3.5", true],
  ["~1.1", "1.1.1", true],
  ["~1.1", "1.1.1-alpha", false],
  ["~1.1-alpha", "1.1.1-beta", true],
  ["~1.1.1-beta", "1.1.1-alpha", false],
  ["~1.1.1-beta", "1.1.1", true],
  ["~1.2.3", "1.2.5", true],
  ["~1.2.3", "1.2.2", false],
  ["~1.2.3", "1.3.2", false],
  ["~1.1", "1.2.3", false],
  ["~1.3", "2.4.5", false],
  ["1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true],
  ["1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true],
];

describe('Masterminds TestConstraintsCheck', () => {
  for (const [range, version, inRange] of CHECKS) {
    it(`${JSON.stringify(range)} ${inRange ? 'admits' : 'refuses'} ${version}`, () => {
      const compiled = compileSemverRange(range);
      assert.ok('range' in compiled, JSON.stringify(compiled));
      assert.equal(compiled.range.test(parseSemanticVersion(version)!) === 'in', inRange);
    });
  }
});

describe('prereleases on wildcards (Argo CD Image Updater docs/basics/update-strategies.md: "2.x-0")', () => {
  const cases: Array<[string, string, boolean]> = [
    ['2.x-0', '2.0.0-rc1', true],
    ['2.x-0', '2.9.0', true],
    ['2.x-0', '3.0.0-rc1', false],
    ['2.x-0', '1.9.0', false],
    ['~1.x-0', '1.5.0-beta', true],
    ['1.2-rc1', '1.2.5', true],
    ['1.2-rc1', '1.3.0', false],
  ];
  for (const [range, version, inRange] of cases) {
    it(`${range} ${inRange ? 'admits' : 'refuses'} ${version}`, () => {
      const compiled = compileSemverRange(range);
      assert.ok('range' in compiled, JSON.stringify(compiled));
      assert.equal(compiled.range.test(parseSemanticVersion(version)!) === 'in', inRange);
    });
  }
});
