// What the Flux converters share: a checked object with its tagpilot name, how to warn about it,
// and the few conventions every converted object follows.
import type * as z from '../zod.js';
import type { Config } from '../config/schema.js';
import type { KubernetesObject } from './kubernetes-objects.js';

export type ConfigInput = z.input<typeof Config>;
export type ImageInput = NonNullable<ConfigInput['images']>[number];
export type PolicyInput = NonNullable<ConfigInput['policies']>[number];
export type AutomationInput = NonNullable<ConfigInput['automations']>[number];
export type RegistryInput = NonNullable<ConfigInput['registries']>[number];
export type WebhookInput = NonNullable<ConfigInput['webhooks']>[number];

/** A Flux object of one kind with its spec checked, and the tagpilot name it gets. */
export interface Typed<Spec> {
  object: KubernetesObject;
  spec: Spec;
  name: string;
}

/** Records something about an object that a person must look at. */
export type Warn = (object: KubernetesObject, message: string) => void;

/** Where Secrets are expected to be mounted; the warnings say which to mount. */
export const SECRETS_DIR = '/secrets';

/** The object called `name`, in `namespace` when both sides say one (a missing namespace matches any). */
export function resolveRef<T extends { object: KubernetesObject }>(
  items: readonly T[],
  name: string,
  namespace: string | undefined,
): T | undefined {
  const named = items.filter((item) => item.object.metadata.name === name);
  const exact = named.find((item) => item.object.metadata.namespace === namespace);
  return exact ?? named.find((item) => sameNamespace(item.object.metadata.namespace, namespace));
}

/** Namespaces match when equal or when either is unknown (objects applied with kustomize's namespace). */
export function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

/** `flux-system`, `PASSWORD` → `FLUX_SYSTEM_PASSWORD`. */
export function envName(secret: string, suffix: string): string {
  const base = secret.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `${/^[0-9]/.test(base) ? '_' : ''}${base}_${suffix}`;
}
