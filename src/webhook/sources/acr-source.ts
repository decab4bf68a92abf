// Azure Container Registry webhooks. Shape: Microsoft Learn, "Azure Container Registry webhook
// reference" (MicrosoftDocs/azure-management-docs articles/container-registry/
// container-registry-webhook-reference.md): ONE event per request, not an envelope — `action`
// ("push", "delete", "chart_push", "chart_delete"), `target.{repository,tag,mediaType}`,
// `request.host` ("myregistry.azurecr.io"). ACR sends only the custom headers the user sets, so the
// secret is put in a custom `Authorization` header.
import * as z from '../../zod.js';
import { parsePayload } from '../parse-payload.js';
import { pushEvent } from '../push-event.js';
import { verifyAuthorization } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

/** Every ACR event has an action; only `push` is read further (chart events, for one, lack `request`). */
export const AcrEvent = z.object({ action: z.string() });
export type AcrEvent = z.output<typeof AcrEvent>;

export const AcrPushEvent = z.object({
  target: z.object({ repository: z.string().check(z.minLength(1)), tag: z.optional(z.string()) }),
  request: z.object({ host: z.string().check(z.minLength(1)) }),
});
export type AcrPushEvent = z.output<typeof AcrPushEvent>;

/** ACR: `Authorization` equal to the secret; tagged image pushes, named `request.host/target.repository`. */
export const acrSource: WebhookSource = {
  id: 'acr',
  verify: (request, secret) => verifyAuthorization(request, secret),
  parse(body) {
    if (parsePayload(AcrEvent, body, 'acr').action !== 'push') return [];
    const { target, request } = parsePayload(AcrPushEvent, body, 'acr');
    // As for Distribution: a push by digest cannot add a tag, so there is nothing to scan for.
    return target.tag ? [pushEvent(`${request.host}/${target.repository}`, target.tag)] : [];
  },
};
