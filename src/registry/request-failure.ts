// What a failed HTTP exchange (no status at all) means for the caller: retry later, or fix the setup.
import { RequestError } from 'got';
import { InputError, TransientError } from '../errors.js';
import { classifyConnectionError } from '../failure-kind.js';

/**
 * Classifies an error thrown while sending. `what` starts the message. Our own refusals (a redirect off
 * HTTPS) keep their class; of got's, TLS failures are InputError (code TLS_FAILED) naming the host, and
 * anything else on the wire (timeout, reset, refused) is TransientError.
 * The cause is a bare copy of got's error, because got's carries our request options, headers included.
 */
export function requestFailure(err: unknown, what: string, host: string, timeoutMs: number): Error {
  if (err instanceof InputError) return new InputError(`${what}: ${err.message}`, { cause: err, code: err.code });
  if (!(err instanceof RequestError)) return err instanceof Error ? err : new Error(String(err));
  const cause = new Error(`${err.code}: ${err.message}`);
  if (classifyConnectionError(err.code) === 'permanent') {
    return new InputError(
      `${what}: TLS connection to ${host} failed (${err.code}: ${tlsReason(err.message)}); ` +
        'set registries[].caFile for a private CA, or insecure: true if the registry serves plain HTTP',
      { cause, code: 'TLS_FAILED' },
    );
  }
  if (err.name === 'TimeoutError') {
    return new TransientError(`${what}: request to ${host} timed out after ${timeoutMs} ms`, { cause });
  }
  return new TransientError(`${what}: request to ${host} failed (${err.code})`, { cause });
}

/** OpenSSL's reason ("wrong version number") instead of its whole record with addresses and source lines. */
function tlsReason(message: string): string {
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message.split('\n')[0]!;
  // What a plain-HTTP server's answer to a TLS hello looks like to OpenSSL.
  return /wrong version number|packet length too long|http request/i.test(reason) ? `${reason}: the server does not speak TLS` : reason;
}
