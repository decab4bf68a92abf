// What went wrong in an isomorphic-git call that talked to the remote. HTTP statuses are already
// tagpilot errors (git-http-client.ts); what is left is isomorphic-git's own error classes and node
// errors from a socket that broke mid-response. Trouble with the remote becomes a tagpilot error
// naming the remote (never its credentials); anything else concerns our own files and is the
// caller's to judge (a fetch treats it as a corrupt clone), except a failing local disk, which is
// named as such.
import { Errors } from 'isomorphic-git';
import { InputError, TagpilotError, TransientError } from '../errors.js';
import { localDiskFailure } from './local-disk-failure.js';

/** The tagpilot error for a remote failure, or undefined when `err` is not about the remote. */
export function remoteFailure(err: unknown, shownUrl: string): Error | undefined {
  if (err instanceof TagpilotError) return err;
  if (err instanceof Errors.SmartHttpError || err instanceof Errors.UnknownTransportError || err instanceof Errors.UrlParseError) {
    return new InputError(`${shownUrl}: not a git repository served over smart HTTP (${err.message.slice(0, 120)})`, { cause: err });
  }
  if (err instanceof Errors.RemoteCapabilityError) {
    return new InputError(`${shownUrl}: the git server cannot do what tagpilot needs: ${err.message}`, { cause: err });
  }
  // Before the socket test: a full disk's ENOSPC has a code and no path too.
  const disk = localDiskFailure(err);
  if (disk) return disk;
  if (err instanceof Errors.EmptyServerResponseError) return new TransientError(`${shownUrl}: the git server sent an empty response`, { cause: err });
  if (isSocketError(err)) return new TransientError(`${shownUrl}: ${networkCode(err)}`, { cause: err });
  return undefined;
}

/** The system error code of a failed connection (ECONNREFUSED, ENOTFOUND, …), or a generic word. */
export function networkCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code ? code : 'network error';
}

/** A connection that broke while a response was read: a node error with a code but no file path. */
function isSocketError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError') return true;
  const { code, path } = err as NodeJS.ErrnoException;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && path === undefined;
}
