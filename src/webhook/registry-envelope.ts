// The CNCF Distribution notification envelope, also what GitLab's self-managed container registry
// sends (it is a Distribution fork). Shape: https://distribution.github.io/distribution/about/notifications/
// and github.com/distribution/distribution docs/content/about/notifications.md — `{ events: [...] }`,
// each with `action`, `target.{mediaType,repository,tag,url}` and `request.host`.
import * as z from '../zod.js';
import { fail, fieldPath, parsePayload } from './parse-payload.js';
import { pushEvent } from './push-event.js';
import type { PushEvent } from './webhook-source.js';

/** Manifest (not layer/config blob) media types: only a manifest push can add a tag. */
const MANIFEST_MEDIA_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.artifact.manifest.v1+json',
]);

// Loose objects: the registry is told to be accepting, and so are we of fields we do not read.
const RegistryEvent = z.object({
  action: z.string(),
  target: z.object({
    mediaType: z.optional(z.string()),
    repository: z.string().check(z.minLength(1)),
    tag: z.optional(z.string()),
    url: z.optional(z.string()),
  }),
  request: z.optional(z.object({ host: z.optional(z.string()) })),
});

/** One notification request: events the registry grouped together, with no relation implied. */
export const RegistryEnvelope = z.object({ events: z.array(RegistryEvent) });
export type RegistryEnvelope = z.output<typeof RegistryEnvelope>;

/** The tagged manifest pushes in an envelope; pulls, deletes, mounts, blob and by-digest pushes are dropped. */
export function manifestPushes(body: unknown, source: string): PushEvent[] {
  const envelope = parsePayload(RegistryEnvelope, body, source);
  const pushes: PushEvent[] = [];
  envelope.events.forEach((event, index) => {
    const { target } = event;
    if (event.action !== 'push' || !target.tag || !MANIFEST_MEDIA_TYPES.has(target.mediaType ?? '')) return;
    // request.host is the Host header the pusher used; target.url names the same host if a registry leaves it out.
    const host = event.request?.host || hostOf(target.url);
    if (!host) fail(`${source} payload: ${fieldPath(['events', index, 'request', 'host'])}: expected the registry host of a manifest push`);
    pushes.push(pushEvent(`${host}/${target.repository}`, target.tag));
  });
  return pushes;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
