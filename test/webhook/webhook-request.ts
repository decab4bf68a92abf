// Builds WebhookRequests the way each registry would send them: the secret in the right place, HMACs
// over the exact bytes, recorded sample bodies read from samples/.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WebhookRequest, WebhookType } from '../../src/webhook/webhook-source.js';

const SAMPLES = new URL('./samples/', import.meta.url);

/** The raw bytes of a recorded sample, untouched so HMACs are over what the registry sent. */
export function sampleBody(file: string): Buffer {
  return readFileSync(new URL(file, SAMPLES));
}

/** Raw bytes of a value serialised as JSON. */
export function jsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function hmac(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

type Credentials = (body: Buffer, secret: string) => Pick<WebhookRequest, 'headers' | 'query'>;

const bearer: Credentials = (_body, secret) => ({ headers: { authorization: `Bearer ${secret}` }, query: {} });
const queryToken: Credentials = (_body, secret) => ({ headers: {}, query: { token: secret } });

/** Where each registry puts the secret (SPEC §6), as a table like the sources themselves. */
const CREDENTIALS: Record<WebhookType, Credentials> = {
  github: (body, secret) => ({ headers: { 'x-hub-signature-256': hmac(secret, body) }, query: {} }),
  generic: (body, secret) => ({ headers: { 'x-signature': hmac(secret, body) }, query: {} }),
  gitlab: (_body, secret) => ({ headers: { 'x-gitlab-token': secret }, query: {} }),
  harbor: bearer,
  acr: bearer,
  distribution: bearer,
  dockerhub: queryToken,
  quay: queryToken,
};

/** A request carrying `secret` as registry `type` sends it; `extraHeaders` for e.g. X-GitHub-Event. */
export function signedRequest(
  type: WebhookType,
  body: Buffer,
  secret: string,
  extraHeaders: Record<string, string> = {},
): WebhookRequest {
  const credentials = CREDENTIALS[type](body, secret);
  return {
    headers: { 'content-type': 'application/json', ...extraHeaders, ...credentials.headers },
    query: credentials.query,
    body,
  };
}

/** The same request with every credential removed: no signature, token or Authorization. */
export function withoutCredentials(request: WebhookRequest): WebhookRequest {
  const headers = { ...request.headers };
  for (const name of ['x-hub-signature-256', 'x-signature', 'x-gitlab-token', 'authorization']) delete headers[name];
  return { headers, query: {}, body: request.body };
}
