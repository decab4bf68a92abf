// One notification, start to finish but without IO (SPEC §6): authenticate, read, and say which
// configured images it names. The server maps the result to HTTP and queues the scans; 404 (unknown
// hook) and 413 (body over 1 MiB) are decided there, before a source is chosen or the body read.
import { canonicalRepository } from '../repository-name.js';
import { WebhookPayloadError } from '../errors.js';
import type { PushEvent, WebhookRequest, WebhookSource } from './webhook-source.js';

/** A configured image as far as matching needs it. */
export interface WebhookImage {
  name: string;
  repository: string;
}

/** Accepted: the image names to scan (possibly none) and the pushes the registry reported. */
export interface WebhookAccepted {
  status: 202;
  images: string[];
  events: PushEvent[];
  /** The tags the events name for each image in `images` (an image pushed by digest only has none). */
  tags: Map<string, string[]>;
}

/** Refused: 401 before the body is looked at, 400 when it is not what the source sends. */
export interface WebhookRejected {
  status: 400 | 401;
  error: string;
}

export type WebhookOutcome = WebhookAccepted | WebhookRejected;

/** Verifies, parses and matches one request; a push for an unconfigured repository is accepted and matches nothing. */
export function handleWebhook(
  source: WebhookSource,
  secret: string,
  request: WebhookRequest,
  images: ReadonlyArray<WebhookImage>,
): WebhookOutcome {
  // Nothing about the body is looked at until the sender has proven it knows the secret.
  if (!source.verify(request, secret)) return { status: 401, error: `${source.id} webhook: missing or invalid credentials` };

  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch (err) {
    return { status: 400, error: `${source.id} payload: not valid JSON (${(err as Error).message})` };
  }

  let events: PushEvent[];
  try {
    events = source.parse(body, request);
  } catch (err) {
    if (err instanceof WebhookPayloadError) return { status: 400, error: err.message };
    throw err;
  }
  const tags = matchImages(events, images);
  return { status: 202, images: [...tags.keys()], events, tags };
}

/**
 * The configured images whose repository one of the events names, in config order, each with the
 * tags its events name (deduplicated).
 */
function matchImages(events: ReadonlyArray<PushEvent>, images: ReadonlyArray<WebhookImage>): Map<string, string[]> {
  const pushed = new Map<string, Set<string>>();
  for (const event of events) {
    const repository = canonicalRepository(event.repository);
    const tags = pushed.get(repository) ?? new Set<string>();
    if (event.tag) tags.add(event.tag);
    pushed.set(repository, tags);
  }
  // Walking the images (not the events) lists each image once, however many events name it.
  const matched = new Map<string, string[]>();
  for (const image of images) {
    const tags = pushed.get(canonicalRepository(image.repository));
    if (tags) matched.set(image.name, [...tags]);
  }
  return matched;
}
