// Harbor project webhooks, "Default" payload format (not CloudEvents). Shape:
// https://goharbor.io/docs/main/working-with-projects/project-configuration/configure-webhooks/ —
// `type: "PUSH_ARTIFACT"`, `event_data.resources[].{tag,resource_url}` and
// `event_data.repository.repo_full_name`. The "auth header" typed into Harbor arrives as `Authorization`.
import * as z from '../../zod.js';
import { fail, fieldPath, parsePayload } from '../parse-payload.js';
import { pushEvent } from '../push-event.js';
import { verifyAuthorization } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

/** Every Harbor event has a type; only PUSH_ARTIFACT is read further, the others differ in shape. */
export const HarborEvent = z.object({ type: z.string() });
export type HarborEvent = z.output<typeof HarborEvent>;

export const HarborPushArtifact = z.object({
  event_data: z.object({
    resources: z.array(z.object({ tag: z.optional(z.string()), resource_url: z.string().check(z.minLength(1)) })),
    repository: z.object({ repo_full_name: z.string().check(z.minLength(1)) }),
  }),
});
export type HarborPushArtifact = z.output<typeof HarborPushArtifact>;

/** Harbor: `Authorization` equal to the secret; the host comes from `resource_url` ("harbor.example.com/proj/app:1.0"). */
export const harborSource: WebhookSource = {
  id: 'harbor',
  verify: (request, secret) => verifyAuthorization(request, secret),
  parse(body) {
    if (parsePayload(HarborEvent, body, 'harbor').type !== 'PUSH_ARTIFACT') return [];
    const { event_data: data } = parsePayload(HarborPushArtifact, body, 'harbor');
    return data.resources.map((resource, index) => {
      const host = hostOf(resource.resource_url);
      if (!host) fail(`harbor payload: ${fieldPath(['event_data', 'resources', index, 'resource_url'])}: expected host/project/repository`);
      return pushEvent(`${host}/${data.repository.repo_full_name}`, resource.tag);
    });
  },
};

/** `resource_url` is `host/project/repo:tag` (or `@digest`); Harbor adds no scheme, but be lenient. */
function hostOf(resourceUrl: string): string | undefined {
  const withoutScheme = resourceUrl.replace(/^[a-z]+:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  return slash > 0 ? withoutScheme.slice(0, slash) : undefined;
}
