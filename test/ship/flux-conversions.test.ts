import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromGoDuration } from '../../src/import/go-duration.js';
import { httpsGitUrl } from '../../src/import/https-git-url.js';

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
