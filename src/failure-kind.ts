// The one place that decides what a failed exchange with a peer means (SPEC §7, STYLE rule 10).
// Registry, git and the pull-request APIs all map an HTTP status, or a connection that failed
// before any status, through here; the queue's job retry is then the only layer that tries again.
//
//  - transient: may pass later (timeouts, resets, 408, 429, 5xx) → TransientError, retried with backoff;
//  - absent: the thing is not there (404, 410) → NotFoundError, or null where absence is an answer;
//  - permanent: the same next time (400, 401, 403, 413, 422, TLS failures) → not retried, shown as is.
import { InputError, NotFoundError, TransientError, UnauthorizedError, type TagpilotError } from './errors.js';

export type FailureKind = 'transient' | 'permanent' | 'absent';

/** What an HTTP status other than 2xx means. 501 and 505 say the server will never do it. */
export function classifyStatus(status: number): FailureKind {
  if (status === 404 || status === 410) return 'absent';
  if (status === 408 || status === 425 || status === 429) return 'transient';
  if (status >= 500 && status !== 501 && status !== 505) return 'transient';
  return 'permanent';
}

// Certificate and handshake failures fail the same way next time.
const TLS_CODES = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'HOSTNAME_MISMATCH',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Whether a connection-level error code is a TLS failure (permanent until someone fixes the setup). */
export function isTlsFailure(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

/**
 * What an error raised before any HTTP status means: a TLS failure is permanent; anything else on
 * the wire (refused, reset, DNS, timeout, a body cut short) is transient.
 */
export function classifyConnectionError(code: string | undefined): Exclude<FailureKind, 'absent'> {
  return code !== undefined && isTlsFailure(code) ? 'permanent' : 'transient';
}

/** The tagpilot error for an HTTP status, with `message` as its text; 401/403 are UnauthorizedError. */
export function statusError(status: number, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}): TagpilotError {
  const kind = classifyStatus(status);
  if (kind === 'transient') {
    return new TransientError(message, { ...options, code: status === 429 ? 'RATE_LIMITED' : 'TRANSIENT' });
  }
  if (kind === 'absent') return new NotFoundError(message, { cause: options.cause });
  if (status === 401 || status === 403) return new UnauthorizedError(message, { cause: options.cause });
  return new InputError(message, { cause: options.cause, code: `HTTP_${status}` });
}
