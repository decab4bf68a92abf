// `tagpilot import argocd FILE…`: Argo CD Image Updater's ImageUpdater resources (v1.x) and the legacy
// annotations on Argo CD Applications in, tagpilot config text out. Pure: the CLI reads the files.
// Each Application becomes one automation (update: auto, its source's repository, branch and path)
// with one image and one policy per image it tracks; what has no equivalent is a note.
import type * as z from '../zod.js';
import { canonicalRepository } from '../repository-name.js';
import { readAnnotations } from './argocd-annotations.js';
import { convertArgoImage, globToRegexp, splitImageName } from './argocd-image.js';
import {
  ARGOCD_GROUP,
  ArgoApplication,
  IMAGE_UPDATER_GROUP,
  ImageUpdater,
  type ArgoImageConfig,
  type CommonUpdateSettings,
  type WriteBackConfig,
} from './argocd-objects.js';
import { convertWriteBack } from './argocd-write-back.js';
import type { ConfigInput } from './flux-context.js';
import type { ImportResult } from './flux.js';
import { readKubernetesObjects, type KubernetesObject, type ManifestFile } from './kubernetes-objects.js';
import { matchesSelector } from './label-selector.js';
import { renderImportedConfig } from './render-imported-config.js';

interface Parsed<Spec> {
  object: KubernetesObject;
  spec: Spec;
}

/** One Application's worth of tracking, however it was asked for. */
interface Request {
  appName: string;
  application: Parsed<ArgoApplication> | undefined;
  images: ArgoImageConfig[];
  /** Settings every image inherits (CR-wide, then application-wide), before its own. */
  settings: CommonUpdateSettings;
  writeBack: WriteBackConfig;
  note: (message: string) => void;
}

/** Argo CD Image Updater's default commit message (common.DefaultGitCommitMessage), as a commitMessage template. */
export function argoCommitMessage(appName: string): string {
  return `build: automatic update of ${appName}\n\n{{#each changes}}updates image {{repository}} tag '{{from}}' to '{{to}}'\n{{/each}}`;
}

/** Converts the ImageUpdaters and annotated Applications found in `files` into one tagpilot config. */
export function importArgocd(files: ReadonlyArray<ManifestFile>): ImportResult {
  const { objects, warnings } = readKubernetesObjects(files);
  const noteOn = (object: KubernetesObject) => (message: string) => warnings.push(`${describe(object)}: ${message}`);
  const applications = select(objects, ARGOCD_GROUP, 'Application', ArgoApplication, noteOn);
  const updaters = select(objects, IMAGE_UPDATER_GROUP, 'ImageUpdater', ImageUpdater, noteOn);

  const requests: Request[] = [];
  const covered = new Set<KubernetesObject>();
  for (const updater of updaters) requests.push(...requestsOf(updater, applications, covered, noteOn));
  for (const application of applications) {
    if (covered.has(application.object)) continue;
    const annotated = readAnnotations(application.object.metadata.annotations ?? {});
    if (!annotated) continue;
    const note = noteOn(application.object);
    for (const key of annotated.unread) note(`annotation ${key} is not read (no alias of that name in image-list, or not an Argo CD Image Updater setting)`);
    requests.push({ appName: application.object.metadata.name, application, images: annotated.images, settings: annotated.settings, writeBack: annotated.writeBack, note });
  }
  const found = requests.length;
  if (found === 0) warnings.push('no ImageUpdater, and no Application with an argocd-image-updater.argoproj.io/image-list annotation, in the files given');

  const config: Required<Pick<ConfigInput, 'images' | 'policies' | 'automations'>> = { images: [], policies: [], automations: [] };
  const taken = new Set<string>();
  for (const request of requests) convertRequest(request, config, taken);
  return { yaml: renderImportedConfig(config, { from: 'Argo CD Image Updater', command: 'tagpilot import argocd', files, warnings }), warnings, found };
}

/** The Applications an ImageUpdater's refs select (by name glob and labels), each with its merged settings. */
function requestsOf(
  updater: Parsed<ImageUpdater>,
  applications: ReadonlyArray<Parsed<ArgoApplication>>,
  covered: Set<KubernetesObject>,
  noteOn: (object: KubernetesObject) => (message: string) => void,
): Request[] {
  const note = noteOn(updater.object);
  const { spec } = updater;
  if (spec.imagesVerification) note('imagesVerification: set policies[].verify.cosign with the public key instead');
  return spec.applicationRefs.flatMap((ref) => {
    const pattern = new RegExp(globToRegexp(ref.namePattern));
    const matched = applications.filter(
      (app) => pattern.test(app.object.metadata.name) && matchesSelector(ref.labelSelectors, app.object.metadata.labels),
    );
    const settings = { ...spec.commonUpdateSettings, ...ref.commonUpdateSettings };
    const writeBack = mergeWriteBack(spec.writeBackConfig, ref.writeBackConfig);
    if (matched.length === 0) {
      note(`applicationRefs namePattern "${ref.namePattern}" matches no Application among the files; converted with a placeholder repository`);
      const appName = ref.namePattern.replace(/[^a-z0-9._-]+/gi, '-').replace(/^-+|-+$/g, '') || updater.object.metadata.name;
      return [{ appName, application: undefined, images: ref.images, settings, writeBack, note }];
    }
    return matched.map((application): Request => {
      covered.add(application.object);
      if (!ref.useAnnotations) return { appName: application.object.metadata.name, application, images: ref.images, settings, writeBack, note };
      const annotated = readAnnotations(application.object.metadata.annotations ?? {});
      if (!annotated) note(`useAnnotations: Application ${application.object.metadata.name} has no image-list annotation`);
      return {
        appName: application.object.metadata.name,
        application,
        images: annotated?.images ?? [],
        settings: { ...settings, ...annotated?.settings },
        writeBack: mergeWriteBack(writeBack, annotated?.writeBack),
        note: noteOn(application.object),
      };
    });
  });
}

function convertRequest(request: Request, config: Required<Pick<ConfigInput, 'images' | 'policies' | 'automations'>>, taken: Set<string>): void {
  const { appName, application, note } = request;
  const source = application?.spec.source ?? application?.spec.sources?.[0];
  if (application && !application.spec.source && (application.spec.sources?.length ?? 0) > 1) {
    note(`has ${application.spec.sources!.length} sources; the first (${source?.repoURL}) is the one written to`);
  }
  const automationName = uniqueName(appName, taken);
  const policies: string[] = [];
  for (const image of request.images) {
    const { repository } = splitImageName(image.imageName);
    const name = uniqueName(`${automationName}-${image.alias || repository.slice(repository.lastIndexOf('/') + 1)}`, taken);
    const imageNote = (message: string) => note(`image ${image.alias || image.imageName}: ${message}`);
    const converted = convertArgoImage(name, image, { ...request.settings, ...image.commonUpdateSettings }, imageNote);
    if (!converted) continue;
    config.images.push(converted.image);
    config.policies.push(converted.policy);
    policies.push(name);
    noteManifestTargets(image, repository, request.writeBack.gitConfig?.writeBackTarget, imageNote);
  }
  if (policies.length === 0) {
    note('tracks no image that could be converted; no automation written');
    return;
  }
  const { git, paths } = convertWriteBack(appName, source, request.writeBack, note);
  config.automations.push({ name: automationName, git, paths, policies, update: 'auto', commitMessage: argoCommitMessage(appName) });
}

/**
 * tagpilot's auto mode finds the fields itself: `image: repo:tag`, Helm values `repository` + `tag`
 * siblings, and kustomize `images:` entries named by the watched repository. Argo's explicit targets
 * that fall outside those say so.
 */
function noteManifestTargets(image: ArgoImageConfig, repository: string, writeBackTarget: string | undefined, note: (message: string) => void): void {
  const helm = image.manifestTargets?.helm;
  if (helm?.spec !== undefined) {
    if (!/(^|\.)image$/.test(helm.spec)) note(`helm.image-spec ${helm.spec}: auto mode updates a values key named image holding repository:tag; mark this one with # {"$imagepolicy": "POLICY"}`);
  } else if (helm?.name !== undefined || helm?.tag !== undefined || writeBackTarget?.startsWith('helmvalues')) {
    const name = helm?.name ?? 'image.name';
    const tag = helm?.tag ?? 'image.tag';
    const parent = tag.endsWith('.tag') ? tag.slice(0, -'.tag'.length) : null;
    if (parent === null || name !== `${parent}.repository`) {
      note(`helm.image-name ${name} / helm.image-tag ${tag}: auto mode updates Helm values repository + tag siblings; mark these with # {"$imagepolicy": "POLICY:name"} and "POLICY:tag"`);
    }
  }
  const kustomizeName = image.manifestTargets?.kustomize?.name;
  if (kustomizeName && canonicalRepository(kustomizeName) !== canonicalRepository(repository)) {
    note(`kustomize.image-name ${kustomizeName}: auto mode updates kustomize images entries named ${repository}; mark the newTag of ${kustomizeName} with # {"$imagepolicy": "POLICY:tag"}`);
  }
}

function mergeWriteBack(outer: WriteBackConfig | undefined, inner: WriteBackConfig | undefined): WriteBackConfig {
  const gitConfig = outer?.gitConfig || inner?.gitConfig ? { ...outer?.gitConfig, ...inner?.gitConfig } : undefined;
  return { ...outer, ...inner, ...(gitConfig && { gitConfig }) };
}

/** A config name from a Kubernetes name, made unique among those already given. */
function uniqueName(wanted: string, taken: Set<string>): string {
  const base = wanted.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'app';
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

function select<Spec>(
  objects: readonly KubernetesObject[],
  group: string,
  kind: string,
  schema: z.ZodMiniType<Spec>,
  noteOn: (object: KubernetesObject) => (message: string) => void,
): Array<Parsed<Spec>> {
  return objects.flatMap((object) => {
    if (object.apiVersion.split('/')[0] !== group || object.kind !== kind) return [];
    const parsed = schema.safeParse(object.spec ?? {});
    if (parsed.success) return [{ object, spec: parsed.data }];
    const issue = parsed.error.issues[0]!;
    noteOn(object)(`skipped: spec.${issue.path.join('.')}: ${issue.message}`);
    return [];
  });
}

function describe(object: KubernetesObject): string {
  const { namespace, name } = object.metadata;
  return `${object.source}: ${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}
