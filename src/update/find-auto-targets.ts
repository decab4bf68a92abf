import { isMap, isScalar, isSeq, visit } from 'yaml';
import type { Document, Scalar, YAMLMap } from 'yaml';
import type { ImagePick } from './apply-setters.js';
import { findSharedRepositories } from './find-shared-repositories.js';
import { canonicalRepository } from '../repository-name.js';
import { parseImageReference } from './parse-image-reference.js';
import { isEditableScalar } from './setter-target.js';
import type { EditableScalar, SetterTarget, SourceProblem } from './setter-target.js';

const KUSTOMIZE_API = 'kustomize.config.k8s.io/';
const FLUX_KUSTOMIZE_API = 'kustomize.toolkit.fluxcd.io/';
const KUSTOMIZATION_FILE = /(?:^|[/\\])(?:kustomization\.ya?ml|Kustomization)$/;

/** What `update: auto` would change in one file without markers. */
export interface AutoTargets {
  targets: SetterTarget[];
  problems: SourceProblem[];
}

/**
 * Finds unmarked `image: repo:tag[@digest]` values, Helm-values `repository` + `tag` siblings and
 * kustomize `images:` entries whose repository (normalised) is a pick's. `image:` counts under any
 * mapping, not only in workloads, so HelmRelease values and plain Helm values with a string
 * `image:` update too; the repository check is what keeps other images untouched. A reference
 * without a tag or digest is never given one: in a kustomize base, an overlay sets it.
 */
export function findAutoTargets(
  file: string,
  documents: readonly Document.Parsed[],
  picks: ReadonlyMap<string, ImagePick>,
  marked: ReadonlySet<EditableScalar>,
): AutoTargets {
  const result: AutoTargets = { targets: [], problems: [] };
  const shared = new Map(findSharedRepositories([...picks.values()]).map((s) => [s.repository, s.policies]));
  const byRepository = new Map([...picks.values()].map((pick) => [canonicalRepository(pick.repository), pick]));
  const pickFor = (repository: string, at: Scalar): ImagePick | undefined => {
    const key = canonicalRepository(repository);
    const policies = shared.get(key);
    if (policies === undefined) return byRepository.get(key);
    problem(result, at, `repository ${key} is the image of policies ${policies.join(', ')}; auto mode cannot choose, not updated`);
    return undefined;
  };
  for (const document of documents) {
    visit(document, {
      Pair(_, pair) {
        if (!isScalar(pair.key) || pair.key.value !== 'image' || !isScalar(pair.value)) return;
        const token = editableToken(pair.value, marked);
        if (token === null || typeof pair.value.value !== 'string') return;
        const reference = parseImageReference(pair.value.value);
        if (!reference || (reference.tag === undefined && reference.digest === undefined)) return;
        const pick = pickFor(reference.name, pair.value);
        if (!pick) return;
        // The name stays as written; an old digest belongs to the old tag, so one is kept only when the pick brings its own.
        const to = `${reference.name}:${pick.tag}${pick.digest ? `@${pick.digest}` : ''}`;
        result.targets.push({ token, policy: pick.policy, repository: pick.repository, field: 'image', to });
      },
      Map(_, map) {
        addHelmValuesTargets(result, map, marked, pickFor);
      },
    });
    for (const entry of kustomizeImages(file, document)) addKustomizeTargets(result, entry, marked, pickFor);
  }
  return result;
}

/**
 * A kustomize `images:` entry sets `newTag` and, when present, `digest`. Fields are never added:
 * that would move bytes outside a scalar. kustomize prefers `digest` over `newTag`, so a pinned entry
 * whose policy does not pin digests is reported rather than half-updated.
 */
function addKustomizeTargets(
  result: AutoTargets,
  entry: YAMLMap,
  marked: ReadonlySet<EditableScalar>,
  pickFor: (repository: string, at: Scalar) => ImagePick | undefined,
): void {
  const field = (key: string): Scalar | undefined => {
    const node = entry.get(key, true);
    return isScalar(node) ? node : undefined;
  };
  const name = field('newName') ?? field('name');
  if (!name || typeof name.value !== 'string') return;
  const pick = pickFor(name.value, name);
  if (!pick) return;
  const newTag = field('newTag');
  const digest = field('digest');
  if (digest && !pick.digest) {
    problem(result, digest, `kustomize image ${name.value} pins a digest but policy "${pick.policy}" does not; not updated`);
    return;
  }
  if (!newTag && !digest) {
    problem(result, name, `kustomize image ${name.value} has no newTag to update; add one`);
    return;
  }
  for (const [node, fieldName, to] of [
    [newTag, 'tag', pick.tag],
    [digest, 'digest', pick.digest],
  ] as const) {
    const token = node && to !== undefined ? editableToken(node, marked) : null;
    if (token && to !== undefined) result.targets.push({ token, policy: pick.policy, repository: pick.repository, field: fieldName, to });
  }
}

/**
 * Helm values that split an image (`image: {repository: …, tag: …}`, optionally with `registry:`
 * in front, as Bitnami charts do): the `tag` is set, and a `digest` sibling when the pick has one.
 * An empty `tag` (the chart's appVersion) is left empty, as no field is ever added.
 */
function addHelmValuesTargets(
  result: AutoTargets,
  map: YAMLMap,
  marked: ReadonlySet<EditableScalar>,
  pickFor: (repository: string, at: Scalar) => ImagePick | undefined,
): void {
  const field = (key: string): Scalar | undefined => {
    const node = map.get(key, true);
    return isScalar(node) ? node : undefined;
  };
  const repository = field('repository');
  const tag = field('tag');
  if (!repository || !tag || typeof repository.value !== 'string') return;
  if (tag.value === null || String(tag.value) === '') return;
  const registry = field('registry');
  const name = typeof registry?.value === 'string' && registry.value !== '' ? `${registry.value}/${repository.value}` : repository.value;
  const reference = parseImageReference(name);
  if (!reference || reference.tag !== undefined || reference.digest !== undefined) return;
  const pick = pickFor(reference.name, repository);
  if (!pick) return;
  const digest = field('digest');
  if (digest && typeof digest.value === 'string' && digest.value !== '' && !pick.digest) {
    problem(result, digest, `Helm values image ${name} pins a digest but policy "${pick.policy}" does not; not updated`);
    return;
  }
  const tagToken = editableToken(tag, marked);
  if (tagToken) result.targets.push({ token: tagToken, policy: pick.policy, repository: pick.repository, field: 'tag', to: pick.tag });
  const digestToken = digest && pick.digest ? editableToken(digest, marked) : null;
  if (digestToken && pick.digest) {
    result.targets.push({ token: digestToken, policy: pick.policy, repository: pick.repository, field: 'digest', to: pick.digest });
  }
}

/** The `images:` list of a kustomize Kustomization (or Component), or `spec.images` of Flux's. */
function kustomizeImages(file: string, document: Document.Parsed): YAMLMap[] {
  if (!isMap(document.contents)) return [];
  const apiVersion = document.get('apiVersion');
  const kind = document.get('kind');
  const api = typeof apiVersion === 'string' ? apiVersion : '';
  let images: unknown;
  if (api.startsWith(FLUX_KUSTOMIZE_API) && kind === 'Kustomization') images = document.getIn(['spec', 'images'], true);
  else if (api.startsWith(KUSTOMIZE_API) || (apiVersion === undefined && kind === undefined && KUSTOMIZATION_FILE.test(file))) {
    images = document.get('images', true);
  }
  return isSeq(images) ? images.items.filter(isMap) : [];
}

/** A node's token when it may be rewritten; its YAML type does not matter (`newTag: 1.10` is a number). */
function editableToken(node: Scalar, marked: ReadonlySet<EditableScalar>): EditableScalar | null {
  const token = node.srcToken;
  return token && isEditableScalar(token) && !marked.has(token) ? token : null;
}

function problem(result: AutoTargets, node: Scalar, message: string): void {
  result.problems.push({ offset: node.srcToken?.offset ?? node.range?.[0] ?? 0, message });
}
