// ImageRepository → images[] (and registries[] for its secret, CA and insecure settings).
import type { FluxImageRepository } from './flux-objects.js';
import { SECRETS_DIR, type ImageInput, type RegistryInput, type Typed, type Warn } from './flux-context.js';
import { fromGoDuration } from './go-duration.js';
import { translateGoRegexp } from '../policy/go-regexp.js';
import type { KubernetesObject } from './kubernetes-objects.js';

/** The image entry; registry settings it needs are added to `registries`. */
export function convertRepository(
  { object, spec, name }: Typed<FluxImageRepository>,
  registries: RegistryInput[],
  warn: Warn,
): ImageInput {
  const image: ImageInput = { name, repository: untagged(spec.image) };
  if (image.repository !== spec.image) warn(object, `spec.image "${spec.image}" names a tag or digest; watching ${image.repository}`);
  if (spec.interval !== undefined) {
    const interval = fromGoDuration(spec.interval);
    if (interval === null) warn(object, `spec.interval "${spec.interval}" is not a duration; using tagpilot's default 5m`);
    else image.interval = interval;
  }
  if (spec.exclusionList !== undefined) {
    image.exclude = spec.exclusionList.flatMap((pattern) => {
      const converted = translateGoRegexp(pattern);
      if ('source' in converted) return [pattern];
      warn(object, `spec.exclusionList: dropped ${converted.problem}`);
      return [];
    });
  }
  if (spec.suspend) warn(object, 'is suspended in Flux; tagpilot will scan it (set interval: 0 to rely on webhooks only)');
  if (spec.provider && spec.provider !== 'generic') {
    warn(object, `spec.provider ${spec.provider}: tagpilot has no cloud workload identity; give the registry credentials in registries[].auth`);
  }
  if (spec.serviceAccountName) {
    warn(object, `spec.serviceAccountName ${spec.serviceAccountName}: tagpilot does not read image pull secrets from service accounts; use registries[].auth`);
  }

  const host = registryHost(image.repository);
  const settings: RegistryInput = { host };
  if (spec.insecure) settings.insecure = true;
  if (spec.secretRef) {
    settings.auth = { dockerConfig: `${SECRETS_DIR}/${spec.secretRef.name}/.dockerconfigjson` };
    warn(object, `spec.secretRef ${spec.secretRef.name}: mount that Secret at ${SECRETS_DIR}/${spec.secretRef.name} (registries: ${host})`);
  }
  if (spec.certSecretRef) {
    settings.caFile = `${SECRETS_DIR}/${spec.certSecretRef.name}/ca.crt`;
    warn(
      object,
      `spec.certSecretRef ${spec.certSecretRef.name}: mount that Secret at ${SECRETS_DIR}/${spec.certSecretRef.name}; ` +
        'its ca.crt is trusted, client certificates (tls.crt/tls.key) are not supported',
    );
  }
  if (Object.keys(settings).length > 1) addRegistry(registries, settings, object, warn);
  return image;
}

/** One entry per host: a second ImageRepository on the host may only repeat the first one's settings. */
function addRegistry(
  registries: RegistryInput[],
  settings: RegistryInput,
  object: KubernetesObject,
  warn: Warn,
): void {
  const existing = registries.find((r) => r.host === settings.host);
  if (!existing) registries.push(settings);
  else if (JSON.stringify(existing) !== JSON.stringify(settings)) {
    warn(object, `registry ${settings.host} is already configured differently by another ImageRepository; kept the first settings`);
  }
}

/** Docker's rule: the first component is a host only when it has "." or ":" or is localhost. */
function registryHost(repository: string): string {
  const first = repository.split('/')[0]!;
  const isHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'docker.io';
}

/** The repository without `:tag` or `@digest`; a `:` before the last `/` is a registry port. */
function untagged(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const colon = withoutDigest.indexOf(':', withoutDigest.lastIndexOf('/') + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}
