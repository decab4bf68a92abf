// The four ways registries present a shared secret (SPEC §6). Every comparison goes through
// constantTimeEqual; an empty secret never authenticates anything.
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';
import type { WebhookRequest } from './webhook-source.js';

const SHA256_PREFIX = 'sha256=';
const BEARER = /^bearer\s+/i;

/** A header whose value is the secret itself (GitLab's `X-Gitlab-Token`). */
export function verifyHeaderToken(request: WebhookRequest, header: string, secret: string): boolean {
  const value = request.headers[header];
  return secret !== '' && value !== undefined && constantTimeEqual(value, secret);
}

/** The secret as a query parameter, for registries that cannot send headers (Docker Hub, Quay). */
export function verifyQueryToken(request: WebhookRequest, parameter: string, secret: string): boolean {
  const value = request.query[parameter];
  return secret !== '' && value !== undefined && constantTimeEqual(value, secret);
}

/** `Authorization: Bearer <secret>` or `Authorization: <secret>`: registries let users type either. */
export function verifyAuthorization(request: WebhookRequest, secret: string): boolean {
  const value = request.headers['authorization'];
  if (secret === '' || value === undefined) return false;
  const verbatim = constantTimeEqual(value, secret);
  const bearer = BEARER.test(value) && constantTimeEqual(value.replace(BEARER, ''), secret);
  return verbatim || bearer;
}

/** `<header>: sha256=<hex>` where hex is HMAC-SHA256 of the raw body keyed by the secret (GitHub, generic). */
export function verifyHmacSha256(request: WebhookRequest, header: string, secret: string): boolean {
  const value = request.headers[header]?.trim();
  if (secret === '' || value === undefined || !value.toLowerCase().startsWith(SHA256_PREFIX)) return false;
  const expected = createHmac('sha256', secret).update(request.body).digest('hex');
  return constantTimeEqual(value.slice(SHA256_PREFIX.length).toLowerCase(), expected);
}
