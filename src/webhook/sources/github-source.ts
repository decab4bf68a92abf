// GitHub `package` and `registry_package` webhook events (X-GitHub-Event), signed with
// X-Hub-Signature-256. Shapes: GitHub's webhook schema (github/rest-api-description, published as
// octokit/webhooks payload-examples/api.github.com/package/published.docker.payload.json): the
// package is under `package` or `registry_package`, with `name`, `owner.login`, `package_type`
// ("CONTAINER" for ghcr.io) and `package_version.container_metadata.tag.name`.
import * as z from '../../zod.js';
import { parsePayload } from '../parse-payload.js';
import { pushEvent } from '../push-event.js';
import { verifyHmacSha256 } from '../webhook-auth.js';
import type { PushEvent, WebhookSource } from '../webhook-source.js';

const ContainerPackage = z.object({
  name: z.string().check(z.minLength(1)),
  package_type: z.nullish(z.string()),
  ecosystem: z.nullish(z.string()),
  owner: z.object({ login: z.string().check(z.minLength(1)) }),
  package_version: z.nullish(
    z.object({
      container_metadata: z.nullish(z.object({ tag: z.nullish(z.object({ name: z.nullish(z.string()) })) })),
    }),
  ),
});
type ContainerPackage = z.output<typeof ContainerPackage>;

export const GitHubPackageEvent = z.object({ action: z.string(), package: ContainerPackage });
export type GitHubPackageEvent = z.output<typeof GitHubPackageEvent>;

export const GitHubRegistryPackageEvent = z.object({ action: z.string(), registry_package: ContainerPackage });
export type GitHubRegistryPackageEvent = z.output<typeof GitHubRegistryPackageEvent>;

/** The two actions GitHub documents for these events; both can bring a new tag, so both count as pushes. */
const PUSH_ACTIONS = new Set(['published', 'updated']);
/** "CONTAINER" on ghcr.io; "docker" on the retired docker.pkg.github.com. */
const CONTAINER_TYPES = /^(container|docker)$/i;

/** GitHub Packages: HMAC of the raw body; only container packages, named `ghcr.io/<owner>/<package>` in lower case. */
export const gitHubSource: WebhookSource = {
  id: 'github',
  verify: (request, secret) => verifyHmacSha256(request, 'x-hub-signature-256', secret),
  parse(body, request) {
    const event = request.headers['x-github-event'] ?? inferEvent(body);
    // `ping` arrives when the hook is created; other event types say nothing about images.
    if (event === 'package') {
      const payload = parsePayload(GitHubPackageEvent, body, 'github');
      return pushesOf(payload.action, payload.package);
    }
    if (event === 'registry_package') {
      const payload = parsePayload(GitHubRegistryPackageEvent, body, 'github');
      return pushesOf(payload.action, payload.registry_package);
    }
    return [];
  },
};

function inferEvent(body: unknown): string {
  return typeof body === 'object' && body !== null && 'registry_package' in body ? 'registry_package' : 'package';
}

function pushesOf(action: string, pkg: ContainerPackage): PushEvent[] {
  const type = pkg.package_type ?? pkg.ecosystem ?? '';
  if (!PUSH_ACTIONS.has(action) || !CONTAINER_TYPES.test(type)) return [];
  // GHCR repository names are lower case even when the owner's login is not.
  const repository = `ghcr.io/${pkg.owner.login}/${pkg.name}`.toLowerCase();
  return [pushEvent(repository, pkg.package_version?.container_metadata?.tag?.name)];
}
