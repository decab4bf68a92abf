// The fields of Argo CD's Application and Argo CD Image Updater's ImageUpdater (v1.x, API
// argocd-image-updater.argoproj.io/v1alpha1) that `tagpilot import argocd` reads, checked at the
// edge. Shapes from argoproj-labs/argocd-image-updater api/v1alpha1/imageupdater_types.go and its
// docs (docs/configuration/migration.md, docs/basics/update-methods.md).
import * as z from '../zod.js';
import { LabelSelector } from './flux-objects.js';

export const ARGOCD_GROUP = 'argoproj.io';
export const IMAGE_UPDATER_GROUP = 'argocd-image-updater.argoproj.io';
/** Every legacy annotation starts with this, then `/`. */
export const ANNOTATION_PREFIX = 'argocd-image-updater.argoproj.io/';

const ApplicationSource = z.object({
  repoURL: z.string().check(z.minLength(1)),
  targetRevision: z.optional(z.string()),
  path: z.optional(z.string()),
  chart: z.optional(z.string()),
  helm: z.optional(z.object({ valueFiles: z.optional(z.array(z.string())) })),
  kustomize: z.optional(z.unknown()),
});
export type ApplicationSource = z.output<typeof ApplicationSource>;

export const ArgoApplication = z.object({
  source: z.optional(ApplicationSource),
  sources: z.optional(z.array(ApplicationSource)),
});
export type ArgoApplication = z.output<typeof ArgoApplication>;

/** `commonUpdateSettings`, at the CR, application-ref and image level (the most specific wins). */
export const CommonUpdateSettings = z.object({
  updateStrategy: z.optional(z.string()),
  forceUpdate: z.optional(z.boolean()),
  allowTags: z.optional(z.string()),
  ignoreTags: z.optional(z.array(z.string())),
  pullSecret: z.optional(z.string()),
  platforms: z.optional(z.array(z.string())),
});
export type CommonUpdateSettings = z.output<typeof CommonUpdateSettings>;

export const WriteBackConfig = z.object({
  method: z.optional(z.string()),
  gitConfig: z.optional(
    z.object({
      repository: z.optional(z.string()),
      branch: z.optional(z.string()),
      writeBackTarget: z.optional(z.string()),
    }),
  ),
});
export type WriteBackConfig = z.output<typeof WriteBackConfig>;

export const ManifestTargets = z.object({
  helm: z.optional(z.object({ name: z.optional(z.string()), tag: z.optional(z.string()), spec: z.optional(z.string()) })),
  kustomize: z.optional(z.object({ name: z.optional(z.string()) })),
  plugin: z.optional(z.unknown()),
});
export type ManifestTargets = z.output<typeof ManifestTargets>;

export const ArgoImageConfig = z.object({
  alias: z._default(z.string(), ''),
  imageName: z.string().check(z.minLength(1)),
  commonUpdateSettings: z.optional(CommonUpdateSettings),
  manifestTargets: z.optional(ManifestTargets),
});
export type ArgoImageConfig = z.output<typeof ArgoImageConfig>;

export const ImageUpdater = z.object({
  commonUpdateSettings: z.optional(CommonUpdateSettings),
  writeBackConfig: z.optional(WriteBackConfig),
  applicationRefs: z.array(
    z.object({
      namePattern: z.string().check(z.minLength(1)),
      labelSelectors: z.optional(LabelSelector),
      useAnnotations: z.optional(z.boolean()),
      commonUpdateSettings: z.optional(CommonUpdateSettings),
      writeBackConfig: z.optional(WriteBackConfig),
      images: z._default(z.array(ArgoImageConfig), []),
    }),
  ),
  imagesVerification: z.optional(z.unknown()),
});
export type ImageUpdater = z.output<typeof ImageUpdater>;
