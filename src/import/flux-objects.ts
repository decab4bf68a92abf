// The fields of Flux's objects that `tagpilot import flux` reads, as schemas checked at the edge.
// Shapes of image.toolkit.fluxcd.io v1beta1/v1beta2/v1 (the same for these fields),
// source.toolkit.fluxcd.io GitRepository and notification.toolkit.fluxcd.io Receiver;
// fields not listed are ignored here and reported by the importer where they matter.
import { z } from 'zod';

const LocalRef = z.object({ name: z.string().min(1) });
const NamespacedRef = z.object({ name: z.string().min(1), namespace: z.string().min(1).optional() });

export const FLUX_IMAGE_GROUP = 'image.toolkit.fluxcd.io';
export const FLUX_SOURCE_GROUP = 'source.toolkit.fluxcd.io';
export const FLUX_NOTIFICATION_GROUP = 'notification.toolkit.fluxcd.io';

/** API versions whose shapes these schemas describe; v1alpha* moved fields around. */
export const SUPPORTED_VERSIONS = new Set(['v1', 'v1beta1', 'v1beta2', 'v1beta3']);

export const FluxImageRepository = z.object({
  image: z.string().min(1),
  interval: z.string().optional(),
  exclusionList: z.array(z.string()).optional(),
  secretRef: LocalRef.optional(),
  certSecretRef: LocalRef.optional(),
  serviceAccountName: z.string().optional(),
  provider: z.string().optional(),
  insecure: z.boolean().optional(),
  suspend: z.boolean().optional(),
});
export type FluxImageRepository = z.output<typeof FluxImageRepository>;

const Order = z.object({ order: z.enum(['asc', 'desc']).optional() }).optional();

export const FluxImagePolicy = z.object({
  imageRepositoryRef: NamespacedRef,
  policy: z.object({
    semver: z.object({ range: z.string().min(1) }).optional(),
    alphabetical: Order,
    numerical: Order,
  }),
  filterTags: z.object({ pattern: z.string().optional(), extract: z.string().optional() }).optional(),
  digestReflectionPolicy: z.enum(['Never', 'IfNotPresent', 'Always']).optional(),
});
export type FluxImagePolicy = z.output<typeof FluxImagePolicy>;

export const LabelSelector = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.output<typeof LabelSelector>;

const GitRef = z.object({
  branch: z.string().min(1).optional(),
  tag: z.string().optional(),
  semver: z.string().optional(),
  name: z.string().optional(),
  commit: z.string().optional(),
});

export const FluxImageUpdateAutomation = z.object({
  sourceRef: z.object({ kind: z.string().optional(), name: z.string().min(1), namespace: z.string().min(1).optional() }),
  interval: z.string().optional(),
  suspend: z.boolean().optional(),
  git: z
    .object({
      checkout: z.object({ ref: GitRef.optional() }).optional(),
      commit: z
        .object({
          author: z.object({ name: z.string().optional(), email: z.string().min(1) }).optional(),
          signingKey: z.object({ type: z.string().optional(), secretRef: LocalRef.optional() }).optional(),
          messageTemplate: z.string().optional(),
          messageTemplateValues: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
      push: z
        .object({
          branch: z.string().min(1).optional(),
          refspec: z.string().optional(),
          options: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
    })
    .optional(),
  update: z.object({ strategy: z.string().optional(), path: z.string().optional() }).optional(),
  policySelector: LabelSelector.optional(),
});
export type FluxImageUpdateAutomation = z.output<typeof FluxImageUpdateAutomation>;

export const FluxGitRepository = z.object({
  url: z.string().min(1),
  ref: GitRef.optional(),
  secretRef: LocalRef.optional(),
  provider: z.string().optional(),
});
export type FluxGitRepository = z.output<typeof FluxGitRepository>;

export const FluxReceiver = z.object({
  type: z.string().min(1),
  secretRef: LocalRef.optional(),
  resources: z
    .array(z.object({ kind: z.string(), name: z.string().min(1), namespace: z.string().min(1).optional() }))
    .default([]),
});
export type FluxReceiver = z.output<typeof FluxReceiver>;
