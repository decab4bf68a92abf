// Quay "Push to Repository" notifications (webhook method). Shape: Red Hat Quay docs, "Repository
// notifications → Repository Push": `docker_url` ("quay.io/ns/repo", the host included) and
// `updated_tags` as a list of names; the original Quay.io example (gist jakedt/7533338) sends
// `updated_tags` as a map of tag → image id, so both are read. Quay cannot sign, hence `?token=`.
import * as z from '../../zod.js';
import { parsePayload } from '../parse-payload.js';
import { pushEvent } from '../push-event.js';
import { verifyQueryToken } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

export const QuayRepositoryPush = z.object({
  docker_url: z.string().check(z.minLength(1)),
  updated_tags: z.optional(
    z.union([z.array(z.string()), z.record(z.string(), z.unknown())], {
      error: 'expected a list of tag names or a map of tag to image id',
    }),
  ),
});
export type QuayRepositoryPush = z.output<typeof QuayRepositoryPush>;

/** Quay: `?token=<secret>`; one event per updated tag, or one without a tag when Quay lists none. */
export const quaySource: WebhookSource = {
  id: 'quay',
  verify: (request, secret) => verifyQueryToken(request, 'token', secret),
  parse(body) {
    const payload = parsePayload(QuayRepositoryPush, body, 'quay');
    const tags = Array.isArray(payload.updated_tags) ? payload.updated_tags : Object.keys(payload.updated_tags ?? {});
    if (tags.length === 0) return [pushEvent(payload.docker_url)];
    return tags.map((tag) => pushEvent(payload.docker_url, tag));
  },
};
