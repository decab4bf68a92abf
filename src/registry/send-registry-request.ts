// One HTTP exchange with a registry, following redirects by hand so credentials never leave the origin
// they were meant for (registries redirect to blob storage with signed URLs that need no header).
import got, { type Response } from 'got';
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
});

/**
 * Sends `request` and returns the final response, whatever its status. The method (and a POST's form)
 * is kept across redirects; a redirect to another origin loses `authorization`.
 */
export async function sendRegistryRequest(request: RegistryRequest): Promise<Response<Buffer>> {
  let url = new URL(request.url);
  let authorization = request.authorization;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {};
    if (request.accept) headers.accept = request.accept;
    if (authorization) headers.authorization = authorization;
    const pending = registryGot(url, {
      method: request.method,
      headers,
      responseType: 'buffer',
      ...(request.form ? { form: request.form } : {}),
      timeout: { request: request.timeoutMs },
      ...(request.certificateAuthority ? { https: { certificateAuthority: request.certificateAuthority } } : {}),
    });
    // got buffers the whole body; stop it at the limit (or at once, from Content-Length), so a 300 MB
    // answer costs at most the limit in memory, not 300 MB and then its decoding.
    let tooLarge = false;
    pending.on('downloadProgress', ({ transferred, total }) => {
      if (tooLarge || (transferred <= request.maxBytes && (total === undefined || total <= request.maxBytes))) return;
      tooLarge = true;
      pending.cancel();
    });
    let response: Response<Buffer>;
    try {
      response = await pending;
    } catch (err) {
      if (!tooLarge) throw err;
      // Only origin and path: a storage redirect's query carries its signature.
      throw new ResponseTooLargeError(
        `${url.origin}${url.pathname} sent ${request.what} larger than the limit of ${request.maxBytes} bytes; refused unread`,
      );
    }
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
