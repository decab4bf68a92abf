// One HTTP exchange with a registry, following redirects by hand so credentials never leave the origin
// they were meant for (registries redirect to blob storage with signed URLs that need no header).
import got, { Options, RequestError, type OptionsInit, type PlainResponse, type Request } from 'got';
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { InputError, ResponseTooLargeError } from '../errors.js';

/** What to send; `authorization` goes to the first origin only. */
export interface RegistryRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  /** A POST's body, sent as application/x-www-form-urlencoded (OAuth2 token requests). */
  form?: Record<string, string>;
  accept?: string;
  authorization?: string;
  timeoutMs: number;
  /** Trusted CAs for HTTPS; undefined means Node's defaults. */
  certificateAuthority?: string[] | undefined;
  /** The largest body read; a longer one is dropped unread past this (ResponseTooLargeError). */
  maxBytes: number;
  /** What the answer is, for the error ("a tags/list page"). */
  what: string;
}

/** What came back: the status, the headers and the whole body. */
export interface RegistryResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * What every registry request shares, merged once: got merges and validates each request's options
 * against its defaults, and doing that for the fixed ones on every tags/list cost more than the
 * request (1,000 images on a 1-minute interval, issue 18).
 */
const registryGot = got.extend({
  headers: { 'user-agent': 'tagpilot' },
  throwHttpErrors: false,
  followRedirect: false,
  retry: { limit: 0 },
  request: requestWithSetOptions,
});

/**
 * What got does without a `request` option (http.request or https.request by the URL's protocol),
 * given only the options got set. got hands node:http ~35 options, most of them undefined, and Node
 * copies the object whole more than once per request (Agent.addRequest, ClientRequest): 1,000
 * tags/list requests through got cost ~15% less CPU given the set ones only (issue 18: serve's
 * interval). An undefined option and an absent one mean the same to node:http and node:tls.
 */
function requestWithSetOptions(url: URL, options: RequestOptions, callback?: (response: IncomingMessage) => void): ClientRequest {
  const set: RequestOptions = {};
  for (const key in options) {
    const value = options[key as keyof RequestOptions];
    if (value !== undefined) (set as Record<string, unknown>)[key] = value;
  }
  return (url.protocol === 'https:' ? https : http).request(url, set, callback);
}

/**
 * `registryGot` called with its own defaults in place of the instance's, as got's create() passes them
 * to each Request; the typings offer that third argument only with neither a URL nor options. The
 * defaults ask for a stream (isStream): got's promise interface wraps each request in a cancelable
 * promise that re-emits its events and buffers the body through an async iterator; reading the stream
 * here costs ~6% less of the client's CPU per tags/list (issue 18: serve's interval).
 */
const registryGotWith = registryGot as unknown as (url: URL, options: OptionsInit | undefined, defaults: Options) => Request;

/** `registryGot`'s defaults with a method and timeout set, by `${method} ${timeoutMs}`; a few per process. */
const shapes = new Map<string, Options>();

/**
 * The options of a request of this method and timeout, merged once: each call then merges only its
 * headers (none for an anonymous tags/list), not four validated options (issue 18).
 */
function requestShape(method: RegistryRequest['method'], timeoutMs: number): Options {
  const key = `${method} ${timeoutMs}`;
  let shape = shapes.get(key);
  if (!shape) {
    shape = new Options(undefined, { method, isStream: true, timeout: { request: timeoutMs } }, registryGot.defaults.options);
    shapes.set(key, shape);
  }
  return shape;
}

/**
 * Sends `request` and returns the final response, whatever its status. The method (and a POST's form)
 * is kept across redirects; a redirect to another origin loses `authorization`.
 */
export async function sendRegistryRequest(request: RegistryRequest): Promise<RegistryResponse> {
  let url = new URL(request.url);
  let authorization = request.authorization;
  const shape = requestShape(request.method, request.timeoutMs);
  for (let hop = 0; ; hop++) {
    let headers: Record<string, string> | undefined;
    if (request.accept) (headers ??= {}).accept = request.accept;
    if (authorization) (headers ??= {}).authorization = authorization;
    const options = headers || request.form || request.certificateAuthority
      ? {
          ...(headers ? { headers } : {}),
          ...(request.form ? { form: request.form } : {}),
          ...(request.certificateAuthority ? { https: { certificateAuthority: request.certificateAuthority } } : {}),
        }
      : undefined;
    const response = await exchange(registryGotWith(url, options, shape), url, request);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode) || !location) return response;
    if (hop >= MAX_REDIRECTS) throw new InputError(`${request.url}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, url);
    // Only the origin goes in messages: storage redirects carry signatures in the query.
    if (url.protocol === 'https:' && next.protocol !== 'https:') {
      throw new InputError(`${url.origin} redirected to ${next.origin}, leaving HTTPS; refused`);
    }
    if (next.origin !== url.origin) authorization = undefined;
    url = next;
  }
}

/**
 * The response `stream` brings, its body read whole up to the limit: an answer declaring more (its
 * Content-Length) is dropped at once, and one that grows past the limit as it arrives is dropped there,
 * so a 300 MB answer costs at most the limit in memory. The limit counts the body as decoded.
 */
function exchange(stream: Request, url: URL, request: RegistryRequest): Promise<RegistryResponse> {
  return new Promise((resolve, reject) => {
    let response: PlainResponse | undefined;
    const chunks: Buffer[] = [];
    let length = 0;
    const tooLarge = () => {
      stream.destroy();
      // Only origin and path: a storage redirect's query carries its signature.
      reject(new ResponseTooLargeError(`${url.origin}${url.pathname} sent ${request.what} larger than the limit of ${request.maxBytes} bytes; refused unread`));
    };
    stream.once('response', (answer: PlainResponse) => {
      response = answer;
      if (Number(answer.headers['content-length']) > request.maxBytes) tooLarge();
    });
    stream.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > request.maxBytes) tooLarge();
      else chunks.push(chunk);
    });
    stream.once('end', () => resolve({ statusCode: response!.statusCode, headers: response!.headers, body: Buffer.concat(chunks, length) }));
    // got's stream hands on a failure to end the request (a TLS hello answered in plain HTTP) as the
    // socket's bare error; wrapped as got wraps the others, so requestFailure() sees one kind.
    stream.once('error', (err: Error) => reject(err instanceof RequestError ? err : new RequestError(err.message, err, stream)));
  });
}
