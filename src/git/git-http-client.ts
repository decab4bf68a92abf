// The HTTP client every isomorphic-git call here talks through: our own small node http(s) client with
// isomorphic-git's HttpClient shape (a streaming body both ways), our own agent and two timeouts, plus
// HTTP failures turned into tagpilot's errors at the one place that sees the status and headers.
// isomorphic-git's node client (isomorphic-git/http/node, on simple-get) rides Node's global agent,
// whose 5 s keep-alive socket timeout simple-get turns into "Request timed out": a push behind a
// pre-receive hook that takes 6 s failed every time, and no longer deadline ever applied. It also
// reports a 401, a 404 and a 503 alike as an HttpError without the Retry-After header.
import http, { type IncomingMessage } from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import { classifyConnectionError, statusError } from '../failure-kind.js';
import { retryAfterMs } from '../retry-timing.js';
import { networkCode } from './remote-failure.js';
import { untilWritable } from './until-writable.js';

/** How long one request to a git server may take, and how long it may stay silent. */
export interface GitHttpTimeouts {
  /** The whole exchange, the response body included: a first clone of a large repository over a slow link is one request. */
  requestMs: number;
  /** No byte sent or received for this long (connecting, a server that never answers, a stalled download) ends the request. */
  idleMs: number;
}

/** Generous for a slow pre-receive hook, short enough that a hung server frees its write slot. */
export const DEFAULT_GIT_TIMEOUTS: GitHttpTimeouts = { requestMs: 120_000, idleMs: 30_000 };

export interface GitHttpClientOptions {
  timeouts?: Partial<GitHttpTimeouts>;
  /** Aborting it ends every request in flight at once (the service is stopping). */
  signal?: AbortSignal;
}

// Our own agents: keep-alive for the two or three requests of one fetch or push, and no socket
// timeout of their own; each request sets its idle limit.
const httpAgent = new http.Agent({ keepAlive: true });
/** node:https and its agent, loaded by the first https request: loading TLS takes ~15 ms, which a reconcile would pay before its fetch could start. */
let secure: { transport: typeof https; agent: https.Agent } | undefined;
const load = createRequire(import.meta.url);

function transportFor(protocol: 'http:' | 'https:'): { transport: typeof http | typeof https; agent: http.Agent } {
  if (protocol === 'http:') return { transport: http, agent: httpAgent };
  if (!secure) {
    const transport = load('node:https') as typeof https;
    secure = { transport, agent: new transport.Agent({ keepAlive: true }) };
  }
  return secure;
}
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** An isomorphic-git HttpClient for the remote shown as `shownUrl` (already without credentials). */
export function createGitHttpClient(shownUrl: string, options: GitHttpClientOptions = {}): HttpClient {
  const timeouts = { ...DEFAULT_GIT_TIMEOUTS, ...options.timeouts };
  return {
    async request(request) {
      const response = await sendFollowingRedirects(request, timeouts, shownUrl, options.signal);
      const status = response.statusCode;
      if (status === 200) return response;
      const text = await preview(response);
      if (status === 401 || status === 403) {
        const sent = Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === 'authorization');
        throw new UnauthorizedError(`${shownUrl}: the git server ${sent ? 'refused our credentials' : 'requires credentials'} (HTTP ${status})`);
      }
      if (status === 404) throw new NotFoundError(`${shownUrl}: repository not found (HTTP 404)`);
      // 400, 413, 422 … fail the same way next time; 408, 429 and most 5xx may pass later.
      const retryAfter = retryAfterMs(response.headers?.['retry-after']);
      throw statusError(status, `${shownUrl}: git server answered HTTP ${status}${text ? `: ${text}` : ''}`, {
        retryAfterMs: retryAfter !== undefined && retryAfter > 0 ? retryAfter : undefined,
      });
    },
  };
}

/**
 * A GET is followed through redirects (hosts send info/refs to the `.git` URL), dropping the
 * credentials when the origin changes and refusing to leave HTTPS; isomorphic-git reads the final
 * `url` to find the repository's real address.
 */
async function sendFollowingRedirects(
  request: GitHttpRequest,
  timeouts: GitHttpTimeouts,
  shownUrl: string,
  stop: AbortSignal | undefined,
): Promise<GitHttpResponse> {
  let current = request;
  for (let hop = 0; ; hop++) {
    const response = await send(current, timeouts, shownUrl, stop);
    const location = response.headers?.location;
    const method = (current.method ?? 'GET').toUpperCase();
    if (!REDIRECTS.has(response.statusCode) || !location || method !== 'GET' || hop >= MAX_REDIRECTS) return response;
    await response.body?.return?.();
    const from = new URL(current.url);
    const to = new URL(location, from);
    if (from.protocol === 'https:' && to.protocol !== 'https:') {
      throw new InputError(`${shownUrl}: the git server redirected to ${to.origin}, leaving HTTPS; refused`);
    }
    const headers = { ...current.headers };
    if (to.origin !== from.origin) for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
    current = { ...current, url: to.href, headers };
  }
}

/** One exchange; the timeouts and `stop` keep watch until the response body has been read to its end. */
function send(request: GitHttpRequest, timeouts: GitHttpTimeouts, shownUrl: string, stop: AbortSignal | undefined): Promise<GitHttpResponse> {
  const url = new URL(request.url);
  const { transport, agent } = transportFor(url.protocol === 'https:' ? 'https:' : 'http:');
  const method = (request.method ?? 'GET').toUpperCase();
  const headers: Record<string, string | number> = { ...request.headers };
  // isomorphic-git sends a fetch's wants as an array of buffers and a push's pack as a stream.
  const given: unknown = request.body;
  const body = Array.isArray(given) ? Buffer.concat(given as Uint8Array[]) : request.body;
  if (Buffer.isBuffer(body)) headers['content-length'] = body.byteLength;

  const signals = [stop, request.signal].filter((s): s is AbortSignal => s !== undefined);
  const abandoned = (signal: AbortSignal | undefined) => new TransientError(`${shownUrl}: request abandoned: ${abortReason(signal)}`);
  const aborted = signals.find((signal) => signal.aborted);
  if (aborted) return Promise.reject(abandoned(aborted));

  return new Promise<GitHttpResponse>((resolve, reject) => {
    let response: IncomingMessage | undefined;
    let failure: Error | undefined;
    let finished = false;
    const req = transport.request(url, { method, headers, agent });
    const done = () => {
      finished = true;
      clearTimeout(deadline);
      for (const signal of signals) signal.removeEventListener('abort', onAbort);
    };
    // The first failure wins and ends both directions; a body being read throws it to its reader.
    const fail = (err: Error) => {
      // After the body's end the socket may already serve another request: leave it alone.
      if (failure || finished) return;
      failure = err;
      done();
      if (response) response.destroy(err);
      req.destroy(err);
      reject(err);
    };
    const deadline = setTimeout(() => fail(new TransientError(`${shownUrl}: no complete answer within ${timeouts.requestMs} ms`)), timeouts.requestMs);
    // A body isomorphic-git gave up on reading must not keep a finished `reconcile` alive; a live socket does that itself.
    deadline.unref();
    // The socket's own inactivity timer: reset by every byte either way, so a slow upload or download is fine.
    req.setTimeout(timeouts.idleMs, () => fail(new TransientError(`${shownUrl}: no answer within ${timeouts.idleMs} ms`)));
    const onAbort = () => fail(abandoned(signals.find((signal) => signal.aborted)));
    for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => fail(failure ?? connectionFailure(err, shownUrl)));
    req.on('response', (res) => {
      response = res;
      res.on('end', done);
      res.on('close', done);
      res.on('error', (err) => fail(failure ?? connectionFailure(err, shownUrl)));
      resolve({
        url: url.href,
        method,
        statusCode: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers: flattenHeaders(res.headers),
        body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
      });
    });
    void writeBody(req, body).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
  });
}

/** A connection that failed before or while answering: a TLS failure is the setup's, anything else may pass. */
function connectionFailure(err: Error, shownUrl: string): Error {
  const code = networkCode(err);
  if (classifyConnectionError(code) === 'permanent') {
    return new InputError(`${shownUrl}: TLS connection failed (${code}: ${err.message.split('\n')[0]})`, { cause: err, code: 'TLS_FAILED' });
  }
  return new TransientError(`${shownUrl}: ${code}`, { cause: err });
}

/** Sends the request body, waiting for the socket to drain so a large push is not held in memory twice. */
async function writeBody(req: http.ClientRequest, body: Buffer | AsyncIterable<Uint8Array> | undefined): Promise<void> {
  if (body === undefined || Buffer.isBuffer(body)) {
    req.end(body);
    return;
  }
  for await (const chunk of body) {
    if (req.destroyed) return;
    if (!req.write(chunk)) await untilWritable(req);
  }
  req.end();
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return typeof reason === 'string' ? reason : 'cancelled';
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
