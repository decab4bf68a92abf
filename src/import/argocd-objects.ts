// The fields of Argo CD's Application and Argo CD Image Updater's ImageUpdater (v1.x, API
// argocd-image-updater.argoproj.io/v1alpha1) that `tagpilot import argocd` reads, checked at the
// edge. Shapes from argoproj-labs/argocd-image-updater api/v1alpha1/imageupdater_types.go and its
// docs (docs/configuration/migration.md, docs/basics/update-methods.md).
import { z } from 'zod';
import { LabelSelector } from './flux-objects.js';

export const ARGOCD_GROUP = 'argoproj.io';
export const IMAGE_UPDATER_GROUP = 'argocd-image-updater.argoproj.io';
/** Every legacy annotation starts with this, then `/`. */
export const ANNOTATION_PREFIX = 'argocd-image-updater.argoproj.io/';

const ApplicationSource = z.object({
  repoURL: z.string().min(1),
  targetRevision: z.string().optional(),
  path: z.string().optional(),
  chart: z.string().optional(),
  helm: z.object({ valueFiles: z.array(z.string()).optional() }).optional(),
  kustomize: z.unknown().optional(),
});
export type ApplicationSource = z.output<typeof ApplicationSource>;

export const ArgoApplication = z.object({
  source: ApplicationSource.optional(),
  sources: z.array(ApplicationSource).optional(),
});
export type ArgoApplication = z.output<typeof ArgoApplication>;

/** `commonUpdateSettings`, at the CR, application-ref and image level (the most specific wins). */
export const CommonUpdateSettings = z.object({
  updateStrategy: z.string().optional(),
  forceUpdate: z.boolean().optional(),
  allowTags: z.string().optional(),
  ignoreTags: z.array(z.string()).optional(),
  pullSecret: z.string().optional(),
  platforms: z.array(z.string()).optional(),
});
export type CommonUpdateSettings = z.output<typeof CommonUpdateSettings>;

export const WriteBackConfig = z.object({
  method: z.string().optional(),
  gitConfig: z
    .object({ repository: z.string().optional(), branch: z.string().optional(), writeBackTarget: z.string().optional() })
    .optional(),
});
export type WriteBackConfig = z.output<typeof WriteBackConfig>;

export const ManifestTargets = z.object({
  helm: z.object({ name: z.string().optional(), tag: z.string().optional(), spec: z.string().optional() }).optional(),
  kustomize: z.object({ name: z.string().optional() }).optional(),
  plugin: z.unknown().optional(),
});
export type ManifestTargets = z.output<typeof ManifestTargets>;

export const ArgoImageConfig = z.object({
  alias: z.string().default(''),
  imageName: z.string().min(1),
  commonUpdateSettings: CommonUpdateSettings.optional(),
  manifestTargets: ManifestTargets.optional(),
});
export type ArgoImageConfig = z.output<typeof ArgoImageConfig>;

export const ImageUpdater = z.object({
  commonUpdateSettings: CommonUpdateSettings.optional(),
  writeBackConfig: WriteBackConfig.optional(),
  applicationRefs: z.array(
    z.object({
      namePattern: z.string().min(1),
      labelSelectors: LabelSelector.optional(),
      useAnnotations: z.boolean().optional(),
      commonUpdateSettings: CommonUpdateSettings.optional(),
      writeBackConfig: WriteBackConfig.optional(),
      images: z.array(ArgoImageConfig).default([]),
    }),
  ),
  imagesVerification: z.unknown().optional(),
});
export type ImageUpdater = z.output<typeof ImageUpdater>;
