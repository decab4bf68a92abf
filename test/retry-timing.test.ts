// Retry-After as seconds or as an HTTP date.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs } from '../src/retry-timing.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  const cases: Array<[label: string, value: string | undefined, expected: number | undefined]> = [
    ['absent', undefined, undefined],
    ['delta seconds', '120', 120_000],
    ['zero', '0', 0],
    ['seconds with spaces', ' 5 ', 5_000],
    ['an HTTP date ahead', 'Wed, 01 May 2024 12:00:30 GMT', 30_000],
    ['an HTTP date passed', 'Wed, 01 May 2024 11:59:00 GMT', 0],
    ['a negative number', '-5', undefined],
    ['a fraction', '1.5', undefined],
    ['garbage', 'soon', undefined],
  ];
  for (const [label, value, expected] of cases) {
    it(`reads ${label}`, () => assert.equal(retryAfterMs(value, now), expected));
  }
});
