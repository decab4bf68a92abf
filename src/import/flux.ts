// `tagpilot import flux FILE…`: Flux's ImageRepository / ImagePolicy / ImageUpdateAutomation (plus
// the GitRepository and Receiver objects they point at) in, tagpilot config text out. Pure: the
// CLI reads the files. Anything without an exact tagpilot equivalent becomes a warning, and a
// placeholder where the config needs a value, so the output passes `tagpilot check` once the
// environment variables it names are set.
import type * as z from '../zod.js';
import type { ConfigInput, PolicyInput, RegistryInput, Typed, Warn } from './flux-context.js';
import { convertRepository } from './flux-image-repository.js';
import { convertPolicy } from './flux-image-policy.js';
import { convertAutomation } from './flux-image-update-automation.js';
import {
  FLUX_IMAGE_GROUP,
  FLUX_NOTIFICATION_GROUP,
  FLUX_SOURCE_GROUP,
  FluxGitRepository,
  FluxImagePolicy,
  FluxImageRepository,
  FluxImageUpdateAutomation,
  FluxReceiver,
  SUPPORTED_VERSIONS,
} from './flux-objects.js';
import { convertReceiver } from './flux-receiver.js';
import { readKubernetesObjects, type KubernetesObject, type ManifestFile } from './kubernetes-objects.js';
import { renderImportedConfig } from './render-imported-config.js';

/** The config text and everything a person must still look at. */
export interface ImportResult {
  yaml: string;
  warnings: string[];
  /** ImageRepository, ImagePolicy and ImageUpdateAutomation objects read; 0 means the files held none. */
  found: number;
}

/** Converts the Flux objects found in `files` into one tagpilot config. */
export function importFlux(files: ReadonlyArray<ManifestFile>): ImportResult {
  const { objects, warnings } = readKubernetesObjects(files);
  const warn: Warn = (object, message) => warnings.push(`${describe(object)}: ${message}`);

  const repositories = select(objects, FLUX_IMAGE_GROUP, 'ImageRepository', FluxImageRepository, warn);
  // Policies keep their names: each carries its namespace, as markers name it (NS:NAME).
  const policies = select(objects, FLUX_IMAGE_GROUP, 'ImagePolicy', FluxImagePolicy, warn, { qualifySharedNames: false });
  const automations = select(objects, FLUX_IMAGE_GROUP, 'ImageUpdateAutomation', FluxImageUpdateAutomation, warn);
  const gitRepositories = select(objects, FLUX_SOURCE_GROUP, 'GitRepository', FluxGitRepository, warn);
  const receivers = select(objects, FLUX_NOTIFICATION_GROUP, 'Receiver', FluxReceiver, warn);
  const found = repositories.length + policies.length + automations.length;
  if (found === 0) {
    warnings.push('no ImageRepository, ImagePolicy or ImageUpdateAutomation found in the files given');
  }

  const registries: RegistryInput[] = [];
  const images = repositories.map((repository) => convertRepository(repository, registries, warn));

  const convertedPolicies: Array<Typed<FluxImagePolicy>> = [];
  const policyConfigs: PolicyInput[] = [];
  for (const policy of policies) {
    const converted = convertPolicy(policy, repositories, warn);
    if (converted) {
      convertedPolicies.push(policy);
      policyConfigs.push(converted);
    }
  }

  const automationConfigs = automations.map((automation) =>
    convertAutomation(automation, gitRepositories, convertedPolicies, warn),
  );
  const webhooks = receivers.flatMap((receiver) => convertReceiver(receiver, repositories, warn) ?? []);

  const config: ConfigInput = { images, policies: policyConfigs, automations: automationConfigs };
  if (registries.length > 0) config.registries = registries;
  if (webhooks.length > 0) config.webhooks = webhooks;
  return { yaml: renderImportedConfig(config, { from: 'Flux', command: 'tagpilot import flux', files, warnings }), warnings, found };
}

/**
 * The objects of one kind whose spec reads, named for tagpilot: `NS.NAME` where two namespaces
 * share a name, unless the kind keeps its namespace in the config (policies).
 */
function select<Spec>(
  objects: readonly KubernetesObject[],
  group: string,
  kind: string,
  schema: z.ZodMiniType<Spec>,
  warn: Warn,
  { qualifySharedNames = true } = {},
): Array<Typed<Spec>> {
  const seen = new Set<string>();
  const typed: Array<Omit<Typed<Spec>, 'name'>> = [];
  for (const object of objects) {
    const [objectGroup, version = ''] = object.apiVersion.split('/');
    if (objectGroup !== group || object.kind !== kind) continue;
    if (!SUPPORTED_VERSIONS.has(version)) {
      warn(object, `skipped: apiVersion ${object.apiVersion} is not supported (use v1beta2 or v1)`);
      continue;
    }
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    if (seen.has(key)) {
      warn(object, 'skipped: the same object appears earlier');
      continue;
    }
    seen.add(key);
    const parsed = schema.safeParse(object.spec ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      warn(object, `skipped: spec.${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    typed.push({ object, spec: parsed.data });
  }
  const count = new Map<string, number>();
  for (const { object } of typed) count.set(object.metadata.name, (count.get(object.metadata.name) ?? 0) + 1);
  return typed.map((entry) => {
    const { name, namespace } = entry.object.metadata;
    return { ...entry, name: qualifySharedNames && count.get(name)! > 1 && namespace ? `${namespace}.${name}` : name };
  });
}

function describe(object: KubernetesObject): string {
  const { namespace, name } = object.metadata;
  return `${object.source}: ${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}
