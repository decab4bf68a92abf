// SPEC §2 semver: strict SemVer tags, npm or Masterminds ranges, the newest version in range wins.
import { compileSemverRange } from './semver-range.js';
import { compareSemanticVersions, parseSemanticVersion, type SemanticVersion } from './semantic-version.js';
import { Skip } from './skip.js';
import type { Ranker, Strategy } from './strategy.js';

/** `semver: RANGE`; the option is an npm or Masterminds semver range. */
export const semverStrategy: Strategy = {
  compile(option) {
    const compiled = compileSemverRange(option);
    if ('problem' in compiled) return compiled;
    const { range } = compiled;
    const ranker: Ranker<SemanticVersion> = {
      parsesAs: 'semver',
      range: range.text,
      rank(value) {
        const version = parseSemanticVersion(value);
        if (version === null) return Skip.unparsable;
        const verdict = range.test(version);
        return verdict === 'in' ? version : verdict === 'out' ? Skip.outOfRange : Skip.prerelease;
      },
      compare: compareSemanticVersions,
    };
    return { ranker };
  },
};
