import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { constantTimeEqual } from '../../src/webhook/constant-time-equal.js';
import { verifyAuthorization, verifyHeaderToken, verifyHmacSha256, verifyQueryToken } from '../../src/webhook/webhook-auth.js';
import type { WebhookRequest } from '../../src/webhook/webhook-source.js';

const SECRET = 'hunter2-hunter2';
const BODY = Buffer.from('{"repository":"ghcr.io/acme/app"}');
const HEX = createHmac('sha256', SECRET).update(BODY).digest('hex');

function request(headers: Record<string, string> = {}, query: Record<string, string> = {}): WebhookRequest {
  return { headers, query, body: BODY };
}

describe('constantTimeEqual', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['equal', 'abc', 'abc', true],
    ['different content, same length', 'abc', 'abd', false],
    ['shorter', 'ab', 'abc', false],
    ['longer', 'abcd', 'abc', false],
    ['empty against non-empty', '', 'abc', false],
    ['case matters', 'ABC', 'abc', false],
  ];
  for (const [label, a, b, expected] of cases) it(label, () => assert.equal(constantTimeEqual(a, b), expected));
});

describe('verifyAuthorization', () => {
  const cases: Array<[string, string | undefined, boolean]> = [
    ['Bearer <secret>', `Bearer ${SECRET}`, true],
    ['bearer in lower case', `bearer ${SECRET}`, true],
    ['verbatim secret', SECRET, true],
    ['Bearer with a wrong secret', 'Bearer nope', false],
    ['Basic scheme', `Basic ${SECRET}`, false],
    ['secret with trailing text', `${SECRET}x`, false],
    ['Bearer alone', 'Bearer ', false],
    ['missing', undefined, false],
  ];
  for (const [label, value, expected] of cases) {
    it(label, () => assert.equal(verifyAuthorization(request(value === undefined ? {} : { authorization: value }), SECRET), expected));
  }
  it('an empty secret never matches', () => assert.equal(verifyAuthorization(request({ authorization: '' }), ''), false));
});

describe('verifyHmacSha256', () => {
  const cases: Array<[string, string | undefined, boolean]> = [
    ['sha256=<hex>', `sha256=${HEX}`, true],
    ['hex in upper case', `sha256=${HEX.toUpperCase()}`, true],
    ['surrounding whitespace', ` sha256=${HEX} `, true],
    ['no sha256= prefix', HEX, false],
    ['sha1 prefix', `sha1=${HEX}`, false],
    ['truncated', `sha256=${HEX.slice(0, 40)}`, false],
    ['HMAC of another body', `sha256=${createHmac('sha256', SECRET).update('{}').digest('hex')}`, false],
    ['missing', undefined, false],
  ];
  for (const [label, value, expected] of cases) {
    it(label, () => assert.equal(verifyHmacSha256(request(value === undefined ? {} : { 'x-signature': value }), 'x-signature', SECRET), expected));
  }
});

describe('token in a header or the query', () => {
  it('header equal to the secret', () => assert.equal(verifyHeaderToken(request({ 'x-gitlab-token': SECRET }), 'x-gitlab-token', SECRET), true));
  it('header with Bearer is not the GitLab form', () => {
    assert.equal(verifyHeaderToken(request({ 'x-gitlab-token': `Bearer ${SECRET}` }), 'x-gitlab-token', SECRET), false);
  });
  it('query token equal to the secret', () => assert.equal(verifyQueryToken(request({}, { token: SECRET }), 'token', SECRET), true));
  it('query token wrong', () => assert.equal(verifyQueryToken(request({}, { token: 'nope' }), 'token', SECRET), false));
  it('query token in a header does not count', () => assert.equal(verifyQueryToken(request({ token: SECRET }), 'token', SECRET), false));
});
