// The contract every registry push-notification source fulfils (SPEC §6). Sources are pure: the
// server hands them the raw request, they say whether it is authentic and what was pushed.
import type { WEBHOOK_TYPES } from '../config/schema.js';

/** One of the configured webhook `type`s. */
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** What a source needs of an HTTP request; the raw body is kept because HMACs sign bytes, not JSON. */
export interface WebhookRequest {
  /** Header names in lower case, as node delivers them. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  body: Buffer;
}

/** A push the registry reports: the repository as the registry names it, and the tag as a hint only. */
export interface PushEvent {
  /** Host included when the payload says it: `ghcr.io/acme/app`, `registry.example.com:5000/team/app`, `acme/app`. */
  repository: string;
  /** Never written on its own say-so: the registry is asked again before anything changes. */
  tag?: string;
}

/** A registry's notification format: how it authenticates and how to read its body. */
export interface WebhookSource {
  id: WebhookType;
  /** True when the request carries the shared secret the way this registry sends it; compares in constant time. */
  verify(request: WebhookRequest, secret: string): boolean;
  /** The pushes in an already JSON-parsed body; throws WebhookPayloadError naming the field that is wrong. */
  parse(body: unknown, request: WebhookRequest): PushEvent[];
}
