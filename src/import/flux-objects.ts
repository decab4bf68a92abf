// The fields of Flux's objects that `tagpilot import flux` reads, as schemas checked at the edge.
// Shapes of image.toolkit.fluxcd.io v1beta1/v1beta2/v1 (the same for these fields),
// source.toolkit.fluxcd.io GitRepository and notification.toolkit.fluxcd.io Receiver;
// fields not listed are ignored here and reported by the importer where they matter.
import * as z from '../zod.js';

const LocalRef = z.object({ name: z.string().check(z.minLength(1)) });
const NamespacedRef = z.object({
  name: z.string().check(z.minLength(1)),
  namespace: z.optional(z.string().check(z.minLength(1))),
});

export const FLUX_IMAGE_GROUP = 'image.toolkit.fluxcd.io';
export const FLUX_SOURCE_GROUP = 'source.toolkit.fluxcd.io';
export const FLUX_NOTIFICATION_GROUP = 'notification.toolkit.fluxcd.io';

/** API versions whose shapes these schemas describe; v1alpha* moved fields around. */
export const SUPPORTED_VERSIONS = new Set(['v1', 'v1beta1', 'v1beta2', 'v1beta3']);

export const FluxImageRepository = z.object({
  image: z.string().check(z.minLength(1)),
  interval: z.optional(z.string()),
  exclusionList: z.optional(z.array(z.string())),
  secretRef: z.optional(LocalRef),
  certSecretRef: z.optional(LocalRef),
  serviceAccountName: z.optional(z.string()),
  provider: z.optional(z.string()),
  insecure: z.optional(z.boolean()),
  suspend: z.optional(z.boolean()),
});
export type FluxImageRepository = z.output<typeof FluxImageRepository>;

const Order = z.optional(z.object({ order: z.optional(z.enum(['asc', 'desc'])) }));

export const FluxImagePolicy = z.object({
  imageRepositoryRef: NamespacedRef,
  policy: z.object({
    semver: z.optional(z.object({ range: z.string().check(z.minLength(1)) })),
    alphabetical: Order,
    numerical: Order,
  }),
  filterTags: z.optional(z.object({ pattern: z.optional(z.string()), extract: z.optional(z.string()) })),
  digestReflectionPolicy: z.optional(z.enum(['Never', 'IfNotPresent', 'Always'])),
});
export type FluxImagePolicy = z.output<typeof FluxImagePolicy>;

export const LabelSelector = z.object({
  matchLabels: z.optional(z.record(z.string(), z.string())),
  matchExpressions: z.optional(
    z.array(
      z.object({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.optional(z.array(z.string())),
      }),
    ),
  ),
});
export type LabelSelector = z.output<typeof LabelSelector>;

const GitRef = z.object({
  branch: z.optional(z.string().check(z.minLength(1))),
  tag: z.optional(z.string()),
  semver: z.optional(z.string()),
  name: z.optional(z.string()),
  commit: z.optional(z.string()),
});

export const FluxImageUpdateAutomation = z.object({
  sourceRef: z.object({
    kind: z.optional(z.string()),
    name: z.string().check(z.minLength(1)),
    namespace: z.optional(z.string().check(z.minLength(1))),
  }),
  interval: z.optional(z.string()),
  suspend: z.optional(z.boolean()),
  git: z.optional(
    z.object({
      checkout: z.optional(z.object({ ref: z.optional(GitRef) })),
      commit: z.optional(
        z.object({
          author: z.optional(z.object({ name: z.optional(z.string()), email: z.string().check(z.minLength(1)) })),
          signingKey: z.optional(z.object({ type: z.optional(z.string()), secretRef: z.optional(LocalRef) })),
          messageTemplate: z.optional(z.string()),
          messageTemplateValues: z.optional(z.record(z.string(), z.string())),
        }),
      ),
      push: z.optional(
        z.object({
          branch: z.optional(z.string().check(z.minLength(1))),
          refspec: z.optional(z.string()),
          options: z.optional(z.record(z.string(), z.string())),
        }),
      ),
    }),
  ),
  update: z.optional(z.object({ strategy: z.optional(z.string()), path: z.optional(z.string()) })),
  policySelector: z.optional(LabelSelector),
});
export type FluxImageUpdateAutomation = z.output<typeof FluxImageUpdateAutomation>;

export const FluxGitRepository = z.object({
  url: z.string().check(z.minLength(1)),
  ref: z.optional(GitRef),
  secretRef: z.optional(LocalRef),
  provider: z.optional(z.string()),
});
export type FluxGitRepository = z.output<typeof FluxGitRepository>;

export const FluxReceiver = z.object({
  type: z.string().check(z.minLength(1)),
  secretRef: z.optional(LocalRef),
  resources: z._default(
    z.array(
      z.object({
        kind: z.string(),
        name: z.string().check(z.minLength(1)),
        namespace: z.optional(z.string().check(z.minLength(1))),
      }),
    ),
    [],
  ),
});
export type FluxReceiver = z.output<typeof FluxReceiver>;
