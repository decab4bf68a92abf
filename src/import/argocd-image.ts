// One Argo CD Image Updater image (with its effective commonUpdateSettings) → images[] + policies[].
// Strategies, allow-tags and ignore-tags as Argo reads them: registry-scanner/pkg/image/options.go
// (ParseUpdateStrategy, ParseMatch) and version.go (IsTagIgnored: Go's filepath.Match globs);
// docs/basics/update-strategies.md for what each strategy picks.
import { DEFAULT_EXCLUDE } from '../config/schema.js';
import { translateGoRegexp } from '../policy/go-regexp.js';
import { compileSemverRange } from '../policy/semver-range.js';
import type { ArgoImageConfig, CommonUpdateSettings } from './argocd-objects.js';
import type { ImageInput, PolicyInput } from './flux-context.js';

/** The rule part of a policy. */
type Rule = Pick<PolicyInput, 'semver' | 'alphabetical' | 'filter' | 'digest'>;

/** How a strategy converts, given the tag part of imageName (a constraint for semver, the followed tag for digest). */
type StrategyConversion = (tag: string | undefined, note: (message: string) => void) => Rule | null;

const newestBuild: StrategyConversion = (_tag, note) => {
  note('update-strategy newest-build orders tags by image build date, which tagpilot does not read; converted to alphabetical: asc, which agrees only when tags sort by time (timestamps, zero-padded build numbers): review it');
  return { alphabetical: 'asc' };
};
const alphabetical: StrategyConversion = () => ({ alphabetical: 'asc' });

const STRATEGIES: Record<string, StrategyConversion> = {
  semver(tag, note) {
    const range = tag ?? '*';
    const compiled = compileSemverRange(range);
    if ('problem' in compiled) {
      note(`skipped: the constraint "${range}" in imageName is not a semver range (${compiled.problem})`);
      return null;
    }
    return { semver: range };
  },
  'newest-build': newestBuild,
  latest(tag, note) {
    note('update-strategy "latest" is the old name of newest-build');
    return newestBuild(tag, note);
  },
  alphabetical,
  name(tag, note) {
    note('update-strategy "name" is the old name of alphabetical');
    return alphabetical(tag, note);
  },
  // Follows one mutable tag: the policy can pick only that tag, and pins its digest, so a new push is a new pick.
  digest(tag, note) {
    if (tag === undefined) {
      note('skipped: update-strategy digest needs the tag to follow in imageName (some/image:latest)');
      return null;
    }
    return { alphabetical: 'asc', filter: { pattern: `^${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` }, digest: true };
  },
};

/** The image and policy entries, or null (with a note) when the image cannot be converted. */
export function convertArgoImage(
  name: string,
  image: ArgoImageConfig,
  settings: CommonUpdateSettings,
  note: (message: string) => void,
): { image: ImageInput; policy: PolicyInput } | null {
  const { repository, tag } = splitImageName(image.imageName);
  const given = settings.updateStrategy ?? 'semver';
  let strategy = STRATEGIES[given.toLowerCase()];
  if (!strategy) {
    note(`update-strategy "${given}" is unknown; Argo CD Image Updater uses semver then, and so does this conversion`);
    strategy = STRATEGIES.semver!;
  }
  const rule = strategy(tag, note);
  if (rule === null) return null;

  const policy: PolicyInput = { name, image: name, ...rule };
  const allow = settings.allowTags;
  if (allow !== undefined && !policy.filter && allow.toLowerCase() !== 'any') {
    const regexp = /^regexp:(.*)$/is.exec(allow)?.[1];
    const translated = regexp === undefined ? null : translateGoRegexp(regexp);
    if (regexp === undefined || translated === null || 'problem' in translated) {
      const why = translated && 'problem' in translated ? translated.problem : `allow-tags "${allow}" is neither regexp:<pattern> nor any`;
      note(`skipped: ${why} (Argo CD Image Updater then matches no tag)`);
      return null;
    }
    policy.filter = { pattern: regexp };
  }

  const converted: ImageInput = { name, repository };
  const ignored = (settings.ignoreTags ?? []).filter((glob) => glob !== '');
  if (ignored.length > 0) converted.exclude = [...DEFAULT_EXCLUDE, ...ignored.map(globToRegexp)];
  if (settings.platforms?.length) {
    note(`platforms ${settings.platforms.join(', ')}: tagpilot does not filter by platform; every tag is a candidate`);
  }
  if (settings.pullSecret) {
    note(`pull-secret ${settings.pullSecret}: tagpilot reads registry credentials from registries[].auth (a dockerConfig file or passwordEnv); add one for this registry`);
  }
  if (settings.forceUpdate) note('force-update has no equivalent: tagpilot updates only the files under paths that name the image');
  return { image: converted, policy };
}

/** `repo[:tag]`; a colon before the last `/` is a registry port, and a digest is dropped. */
export function splitImageName(imageName: string): { repository: string; tag: string | undefined } {
  const withoutDigest = imageName.split('@')[0]!;
  const colon = withoutDigest.indexOf(':', withoutDigest.lastIndexOf('/') + 1);
  if (colon === -1) return { repository: withoutDigest, tag: undefined };
  return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}

/** A Go filepath.Match glob as an anchored regex: `*` and `?` stop at `/`, `[…]` classes and `\` escapes kept. */
export function globToRegexp(glob: string): string {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) out += `\\${glob[++i]}`;
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) out += '\\[';
      else {
        const body = glob.slice(i + 1, close);
        out += `[${body.startsWith('^') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\]/]/g, '\\$&');
  }
  return `${out}$`;
}
