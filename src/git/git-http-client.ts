// The HTTP client every isomorphic-git call here talks through: isomorphic-git's own node client
// (isomorphic-git/http/node), plus a deadline per request and HTTP failures turned into tagpilot's
// errors at the one place that sees the status and headers. Left alone, isomorphic-git waits
// forever on a server that stops answering, and reports a 401, a 404 and a 503 alike as an
// HttpError without the Retry-After header.
import type { GitHttpResponse, HttpClient } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import { statusError } from '../failure-kind.js';
import { retryAfterMs } from '../retry-timing.js';
import { networkCode } from './remote-failure.js';

/** Generous: a first clone of a large repository over a slow link is one request. */
export const GIT_REQUEST_TIMEOUT_MS = 120_000;

/** An isomorphic-git HttpClient for the remote shown as `shownUrl` (already without credentials). */
export function createGitHttpClient(shownUrl: string, timeoutMs = GIT_REQUEST_TIMEOUT_MS): HttpClient {
  return {
    async request(request) {
      let response: GitHttpResponse;
      try {
        response = await http.request({ ...request, signal: request.signal ?? AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const name = (err as Error).name;
        const what = name === 'AbortError' || name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkCode(err);
        throw new TransientError(`${shownUrl}: ${what}`, { cause: err });
      }
      const status = response.statusCode;
      if (status === 200) return response;
      const text = await preview(response);
      if (status === 401 || status === 403) throw new UnauthorizedError(`${shownUrl}: the git server refused our credentials (HTTP ${status})`);
      if (status === 404) throw new NotFoundError(`${shownUrl}: repository not found (HTTP 404)`);
      // 400, 413, 422 … fail the same way next time; 408, 429 and most 5xx may pass later.
      const retryAfter = retryAfterMs(response.headers?.['retry-after']);
      throw statusError(status, `${shownUrl}: git server answered HTTP ${status}${text ? `: ${text}` : ''}`, {
        retryAfterMs: retryAfter !== undefined && retryAfter > 0 ? retryAfter : undefined,
      });
    },
  };
}

/** The start of an error body, for the message; the rest is dropped (and the connection closed). */
async function preview(response: GitHttpResponse): Promise<string> {
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (size >= 200) break;
    }
  } catch {
    // The status says enough.
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 200).trim();
}
