// Receiver → webhooks[], for Receivers that trigger a converted ImageRepository.
import type { FluxImageRepository, FluxReceiver } from './flux-objects.js';
import { envName, resolveRef, type Typed, type Warn, type WebhookInput } from './flux-context.js';

/** Flux Receiver types with a tagpilot webhook type of the same payload. */
const RECEIVER_TYPES: Record<string, WebhookInput['type']> = {
  dockerhub: 'dockerhub',
  quay: 'quay',
  harbor: 'harbor',
  acr: 'acr',
  github: 'github',
  gitlab: 'gitlab',
  'generic-hmac': 'generic',
};

/** The webhook entry, or null when the Receiver triggers no converted image or cannot be converted. */
export function convertReceiver(
  { object, spec, name }: Typed<FluxReceiver>,
  repositories: ReadonlyArray<Typed<FluxImageRepository>>,
  warn: Warn,
): WebhookInput | null {
  const images = spec.resources.filter(
    (r) => r.kind === 'ImageRepository' && resolveRef(repositories, r.name, r.namespace ?? object.metadata.namespace),
  );
  if (images.length === 0) return null;
  const type = RECEIVER_TYPES[spec.type];
  if (!type) {
    warn(object, `skipped: Receiver type ${spec.type} has no tagpilot webhook type; see docs/webhooks.md`);
    return null;
  }
  if (!spec.secretRef) {
    warn(object, 'skipped: no spec.secretRef');
    return null;
  }
  const secretEnv = envName(spec.secretRef.name, 'TOKEN');
  warn(
    object,
    `now served at POST /hooks/${name} (not /hook/<digest>); point the registry there, with ${secretEnv} (key token of Secret ${spec.secretRef.name}) as the secret — docs/webhooks.md shows where each type sends it`,
  );
  return { name, type, secretEnv };
}

