import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandExtractTemplate, parseExtractTemplate, patternGroups } from '../../src/policy/extract-template.js';

describe('patternGroups', () => {
  const cases = [
    { label: 'no groups', pattern: '^main-\\d+$', want: { count: 0, names: [] } },
    { label: 'numbered groups', pattern: '^(\\d+)-(\\w+)$', want: { count: 2, names: [] } },
    { label: 'non-capturing groups do not count', pattern: '^(?:a|b)(\\d+)$', want: { count: 1, names: [] } },
    { label: 'named groups count and are listed', pattern: '^(?<ts>\\d+)-(x)-(?<sha>[a-f]+)$', want: { count: 3, names: ['ts', 'sha'] } },
    { label: 'top-level alternation', pattern: 'a(1)|b(2)', want: { count: 2, names: [] } },
  ];
  for (const c of cases) {
    it(c.label, () => assert.deepEqual(patternGroups(new RegExp(c.pattern)), c.want));
  }
});

describe('extract templates expand against a match', () => {
  const cases = [
    { label: '$1', pattern: '^main-(\\d+)$', extract: '$1', tag: 'main-42', want: '42' },
    { label: '${1}', pattern: '^main-(\\d+)$', extract: '${1}', tag: 'main-42', want: '42' },
    { label: '$0 is the whole match', pattern: 'main-\\d+', extract: '$0', tag: 'x-main-42-y', want: 'main-42' },
    { label: '$name', pattern: '^main-(?<build>\\d+)$', extract: '$build', tag: 'main-7', want: '7' },
    { label: '${name}', pattern: '^main-(?<build>\\d+)$', extract: '${build}', tag: 'main-7', want: '7' },
    { label: '${1} followed by letters', pattern: '^r(\\d+)$', extract: '${1}x', tag: 'r5', want: '5x' },
    {
      label: 'literal text around several groups',
      pattern: '^(?<major>\\d+)_(?<minor>\\d+)$',
      extract: 'v${major}.${minor}.0',
      tag: '3_14',
      want: 'v3.14.0',
    },
    { label: '$$ is a literal dollar', pattern: '^(a)$', extract: '$$$1', tag: 'a', want: '$a' },
    { label: 'a group that did not take part expands to ""', pattern: '^main(-(\\d+))?$', extract: '$2', tag: 'main', want: '' },
    { label: 'a braced name may hold any JS group name character', pattern: '^(?<a$b>\\d+)$', extract: '${a$b}', tag: '9', want: '9' },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const pattern = new RegExp(c.pattern);
      const parsed = parseExtractTemplate(c.extract, patternGroups(pattern));
      assert.ok('template' in parsed, JSON.stringify(parsed));
      assert.equal(expandExtractTemplate(parsed.template, pattern.exec(c.tag)!), c.want);
    });
  }
});

describe('extract templates that cannot work are rejected', () => {
  const cases = [
    { label: 'group number beyond the pattern', pattern: '(a)(b)', extract: '$3', problem: /"\$3" refers to group 3, but the pattern has 2 capturing groups/ },
    { label: 'any group when the pattern has none', pattern: 'main', extract: '$1', problem: /has no capturing groups/ },
    { label: 'unknown name', pattern: '(?<ts>\\d+)', extract: '$build', problem: /"\$build" refers to a group named "build".*\(it has ts\)/ },
    { label: 'unknown braced name', pattern: '(\\d+)', extract: '${build}', problem: /named "build".*it has no named groups/ },
    { label: '$1x is one name, as in Go', pattern: '(\\d+)', extract: '$1x', problem: /write "\$\{1\}x" for group 1 followed by "x"/ },
    { label: 'leading zero in a group number', pattern: '(\\d+)', extract: '$01', problem: /no leading zeros/ },
    { label: 'lone dollar', pattern: '(\\d+)', extract: 'v$', problem: /"\$" at position 2 starts no group reference/ },
    { label: 'dollar before punctuation', pattern: '(\\d+)', extract: '$-1', problem: /starts no group reference/ },
    { label: 'unclosed brace', pattern: '(\\d+)', extract: '${1', problem: /"\$\{1" has no closing "\}"/ },
    { label: 'empty braces', pattern: '(\\d+)', extract: '${}', problem: /names no group/ },
    { label: 'empty template', pattern: '(\\d+)', extract: '', problem: /expected a template/ },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const parsed = parseExtractTemplate(c.extract, patternGroups(new RegExp(c.pattern)));
      assert.ok('problem' in parsed, `expected a problem, got ${JSON.stringify(parsed)}`);
      assert.match(parsed.problem, c.problem);
    });
  }
});
