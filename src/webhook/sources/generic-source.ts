// tagpilot's own format for CI jobs and registries without a native hook: `{ "repository":
// "ghcr.io/acme/app", "tag": "1.2.3" }`, signed like GitHub but in `X-Signature: sha256=<hex>` (SPEC §6).
import * as z from '../../zod.js';
import { parsePayload } from '../parse-payload.js';
import { pushEvent } from '../push-event.js';
import { verifyHmacSha256 } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

export const GenericPush = z.object({
  repository: z.string().check(z.minLength(1)),
  tag: z.optional(z.string().check(z.minLength(1))),
});
export type GenericPush = z.output<typeof GenericPush>;

/** Generic: HMAC-SHA256 of the raw body in `X-Signature`; the body names one repository and maybe a tag. */
export const genericSource: WebhookSource = {
  id: 'generic',
  verify: (request, secret) => verifyHmacSha256(request, 'x-signature', secret),
  parse(body) {
    const payload = parsePayload(GenericPush, body, 'generic');
    return [pushEvent(payload.repository, payload.tag)];
  },
};
