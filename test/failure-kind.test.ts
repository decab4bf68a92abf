// The one classifier (SPEC §7): every status and connection failure that registry, git and the
// pull-request APIs can meet, with what it means. The table is the contract.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../src/errors.js';
import { classifyConnectionError, classifyStatus, statusError, type FailureKind } from '../src/failure-kind.js';

describe('classifyStatus', () => {
  const cases: Array<[number, FailureKind, string]> = [
    [400, 'permanent', 'a request the server cannot read: the same next time'],
    [401, 'permanent', 'credentials refused'],
    [403, 'permanent', 'forbidden'],
    [404, 'absent', 'not found'],
    [405, 'permanent', 'method not allowed'],
    [408, 'transient', 'request timeout'],
    [409, 'permanent', 'conflict'],
    [410, 'absent', 'gone'],
    [413, 'permanent', 'too large: git used to retry this'],
    [422, 'permanent', 'unprocessable: git used to retry this'],
    [425, 'transient', 'too early'],
    [429, 'transient', 'rate limited'],
    [500, 'transient', 'server error'],
    [501, 'permanent', 'not implemented: never will be'],
    [502, 'transient', 'bad gateway'],
    [503, 'transient', 'unavailable'],
    [504, 'transient', 'gateway timeout'],
    [505, 'permanent', 'HTTP version not supported'],
    [507, 'transient', 'insufficient storage on the server'],
  ];
  for (const [status, kind, label] of cases) {
    it(`${status} is ${kind} (${label})`, () => assert.equal(classifyStatus(status), kind));
  }
});

describe('classifyConnectionError', () => {
  const cases: Array<[string | undefined, 'transient' | 'permanent']> = [
    ['ECONNREFUSED', 'transient'],
    ['ECONNRESET', 'transient'],
    ['ETIMEDOUT', 'transient'],
    ['EAI_AGAIN', 'transient'],
    ['ENOTFOUND', 'transient'],
    ['ERR_GOT_REQUEST_ERROR', 'transient'],
    [undefined, 'transient'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'permanent'],
    ['CERT_HAS_EXPIRED', 'permanent'],
    ['EPROTO', 'permanent'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'permanent'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'permanent'],
  ];
  for (const [code, kind] of cases) {
    it(`${code ?? 'no code'} is ${kind}`, () => assert.equal(classifyConnectionError(code), kind));
  }
});

describe('statusError', () => {
  const cases: Array<{ status: number; type: new (...args: never[]) => Error; code: string }> = [
    { status: 429, type: TransientError, code: 'RATE_LIMITED' },
    { status: 503, type: TransientError, code: 'TRANSIENT' },
    { status: 404, type: NotFoundError, code: 'NOT_FOUND' },
    { status: 401, type: UnauthorizedError, code: 'UNAUTHORIZED' },
    { status: 403, type: UnauthorizedError, code: 'UNAUTHORIZED' },
    { status: 422, type: InputError, code: 'HTTP_422' },
    { status: 413, type: InputError, code: 'HTTP_413' },
  ];
  for (const c of cases) {
    it(`HTTP ${c.status} → ${c.type.name} ${c.code}, keeping the message and Retry-After`, () => {
      const err = statusError(c.status, `peer said ${c.status}`, { retryAfterMs: 1_500 });
      assert.ok(err instanceof c.type);
      assert.equal(err.code, c.code);
      assert.equal(err.message, `peer said ${c.status}`);
      if (err instanceof TransientError) assert.equal(err.retryAfterMs, 1_500);
    });
  }
});
