// Argo CD Image Updater's legacy annotations on an Application, read into the shape of an
// ImageUpdater application ref, so one converter serves both. Keys and parsing as in
// argoproj-labs/argocd-image-updater pkg/argocd/annotations.go (image-list split on ",", `alias=image`,
// per-alias settings, application-wide settings, write-back settings).
import { ANNOTATION_PREFIX, type ArgoImageConfig, type CommonUpdateSettings, type WriteBackConfig } from './argocd-objects.js';

/** What an annotated Application asks for. */
export interface AnnotatedRequest {
  images: ArgoImageConfig[];
  /** The application-wide settings (`update-strategy`, `allow-tags`, …). */
  settings: CommonUpdateSettings;
  writeBack: WriteBackConfig;
  /** Annotations with the prefix that nothing here reads (typos, or settings of an alias not in image-list). */
  unread: string[];
}

// Settings keys, without the prefix: `<key>` application-wide, `<alias>.<key>` per image.
const SETTINGS: Record<string, (value: string, settings: CommonUpdateSettings) => void> = {
  'update-strategy': (value, s) => void (s.updateStrategy = value),
  'allow-tags': (value, s) => void (s.allowTags = value),
  // Kept as given, blanks included, as Argo does.
  'ignore-tags': (value, s) => void (s.ignoreTags = value.split(',').map((tag) => tag.trim())),
  'force-update': (value, s) => void (s.forceUpdate = value === 'true'),
  'pull-secret': (value, s) => void (s.pullSecret = value),
  platforms: (value, s) => void (s.platforms = value.split(',').map((p) => p.trim()).filter(Boolean)),
};

const WRITE_BACK: Record<string, (value: string, writeBack: WriteBackConfig) => void> = {
  'write-back-method': (value, w) => void (w.method = value),
  'git-branch': (value, w) => void ((w.gitConfig ??= {}).branch = value),
  'git-repository': (value, w) => void ((w.gitConfig ??= {}).repository = value),
  'write-back-target': (value, w) => void ((w.gitConfig ??= {}).writeBackTarget = value),
};

const TARGETS: Record<string, (value: string, image: ArgoImageConfig) => void> = {
  'helm.image-name': (value, i) => void (((i.manifestTargets ??= {}).helm ??= {}).name = value),
  'helm.image-tag': (value, i) => void (((i.manifestTargets ??= {}).helm ??= {}).tag = value),
  'helm.image-spec': (value, i) => void (((i.manifestTargets ??= {}).helm ??= {}).spec = value),
  'kustomize.image-name': (value, i) => void ((i.manifestTargets ??= {}).kustomize = { name: value }),
};

/** The request an Application's annotations make, or null when it has no image-list. */
export function readAnnotations(annotations: Readonly<Record<string, string>>): AnnotatedRequest | null {
  const ours = new Map(
    Object.entries(annotations)
      .filter(([key]) => key.startsWith(ANNOTATION_PREFIX))
      .map(([key, value]) => [key.slice(ANNOTATION_PREFIX.length), value.trim()]),
  );
  const list = ours.get('image-list');
  if (list === undefined) return null;
  const read = new Set(['image-list']);
  const take = (key: string): string | undefined => {
    const value = ours.get(key);
    if (value !== undefined) read.add(key);
    return value;
  };

  const settings: CommonUpdateSettings = {};
  for (const [key, apply] of Object.entries(SETTINGS)) {
    const value = take(key);
    if (value !== undefined && value !== '') apply(value, settings);
  }
  const writeBack: WriteBackConfig = {};
  for (const [key, apply] of Object.entries(WRITE_BACK)) {
    const value = take(key);
    if (value !== undefined && value !== '') apply(value, writeBack);
  }
  const images = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): ArgoImageConfig => {
      const equals = entry.indexOf('=');
      if (equals === -1) return { alias: '', imageName: entry };
      const image: ArgoImageConfig = { alias: entry.slice(0, equals).trim(), imageName: entry.slice(equals + 1).trim() };
      if (image.alias === '') return image;
      const own: CommonUpdateSettings = {};
      for (const [key, apply] of Object.entries(SETTINGS)) {
        const value = take(`${image.alias}.${key}`);
        if (value !== undefined && value !== '') apply(value, own);
      }
      if (Object.keys(own).length > 0) image.commonUpdateSettings = own;
      for (const [key, apply] of Object.entries(TARGETS)) {
        const value = take(`${image.alias}.${key}`);
        if (value !== undefined && value !== '') apply(value, image);
      }
      return image;
    });
  const unread = [...ours.keys()].filter((key) => !read.has(key)).map((key) => `${ANNOTATION_PREFIX}${key}`);
  return { images, settings, writeBack, unread };
}
