import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromGoDuration } from '../../src/import/go-duration.js';
import { fromGoRegexp } from '../../src/import/go-regexp.js';
import { httpsGitUrl } from '../../src/import/https-git-url.js';
import { fromMastermindsRange } from '../../src/import/masterminds-range.js';

describe('fromGoDuration', () => {
  const cases: Array<[string, string | null]> = [
    ['5m0s', '5m'],
    ['1h0m0s', '1h'],
    ['1h30m', '1h30m'],
    ['1.5h', '1h30m'],
    ['90s', '1m30s'],
    ['500ms', '500ms'],
    ['0', '0'],
    ['0s', '0'],
    ['1500us', '2ms'],
    ['5 minutes', null],
    ['-5m', null],
    ['', null],
  ];
  for (const [go, expected] of cases) it(`${JSON.stringify(go)} → ${String(expected)}`, () => assert.equal(fromGoDuration(go), expected));
});

describe('fromMastermindsRange', () => {
  const cases: Array<[string, string]> = [
    ['>=1.0.0, <2.0.0', '>=1.0.0 <2.0.0'],
    ['>= 1.2, < 3.0.0 || >= 4.2.3', '>= 1.2 < 3.0.0 || >= 4.2.3'],
    ['^1.x-0', '^1.0.0-0'],
    ['>=1.x-rc.0', '>=1.0.0-rc.0'],
    ['5.0.x', '5.0.x'],
    ['1.2.3 - 2.3.4', '1.2.3 - 2.3.4'],
    ['>=1.0.0-alpha', '>=1.0.0-alpha'],
  ];
  for (const [flux, npm] of cases) it(`${flux} → ${npm}`, () => assert.equal(fromMastermindsRange(flux), npm));
});

describe('fromGoRegexp', () => {
  const rewrites: Array<[string, string]> = [
    ['^main-(?P<ts>\\d+)$', '^main-(?<ts>\\d+)$'],
    ['\\A[[:digit:]]+\\z', '^[0-9]+$'],
    ['^.*\\.sig$', '^.*\\.sig$'],
  ];
  for (const [go, js] of rewrites) it(`${go} → ${js}`, () => assert.deepEqual(fromGoRegexp(go), { source: js }));

  const refused: Array<[string, RegExp]> = [
    ['(?i)^main', /inline flags/],
    ['^\\p{Greek}+$', /Unicode classes/],
    ['[[:graph:]]', /POSIX character class/],
    ['(unclosed', /not a valid JavaScript regex/],
  ];
  for (const [go, why] of refused) {
    it(`refuses ${go}`, () => {
      const result = fromGoRegexp(go);
      assert.ok('problem' in result, JSON.stringify(result));
      assert.match(result.problem, why);
    });
  }
});

describe('httpsGitUrl', () => {
  const cases: Array<[string, string | null, boolean?]> = [
    ['https://github.com/acme/fleet', 'https://github.com/acme/fleet', false],
    ['ssh://git@gitlab.example.com/platform/fleet.git', 'https://gitlab.example.com/platform/fleet.git', true],
    ['ssh://git@gitlab.example.com:2222/platform/fleet.git', 'https://gitlab.example.com/platform/fleet.git', true],
    ['git@github.com:acme/fleet.git', 'https://github.com/acme/fleet.git', true],
    ['file:///srv/git/fleet', null],
  ];
  for (const [given, url, fromSsh] of cases) {
    it(`${given} → ${String(url)}`, () => assert.deepEqual(httpsGitUrl(given), url === null ? null : { url, fromSsh }));
  }
});
