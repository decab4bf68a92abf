// Docker Hub repository webhooks. Payload: https://docs.docker.com/docker-hub/repos/manage/webhooks/
// (`push_data.tag`, `repository.repo_name` such as "acme/app"; one push per request). Docker Hub
// cannot sign requests or add headers, so the secret travels as `?token=`.
import * as z from '../../zod.js';
import { parsePayload } from '../parse-payload.js';
import { pushEvent } from '../push-event.js';
import { verifyQueryToken } from '../webhook-auth.js';
import type { WebhookSource } from '../webhook-source.js';

export const DockerHubPayload = z.object({
  push_data: z.object({ tag: z.optional(z.string()) }),
  repository: z.object({ repo_name: z.string().check(z.minLength(1)) }),
});
export type DockerHubPayload = z.output<typeof DockerHubPayload>;

/** Docker Hub: `?token=<secret>`; `repo_name` has no host, which canonicalises to docker.io. */
export const dockerHubSource: WebhookSource = {
  id: 'dockerhub',
  verify: (request, secret) => verifyQueryToken(request, 'token', secret),
  parse(body) {
    const payload = parsePayload(DockerHubPayload, body, 'dockerhub');
    return [pushEvent(payload.repository.repo_name, payload.push_data.tag)];
  },
};
