// Flux reads semver ranges with Masterminds/semver; tagpilot with npm's semver. They share the
// operators, x-ranges, `~`, `^`, hyphens and `||`; Masterminds also allows `,` for "and" and a
// prerelease on a wildcard (`^1.x-0`), which npm spells `^1.0.0-0`.
// https://github.com/Masterminds/semver#checking-version-constraints

const WILDCARD_PRERELEASE = /(^|[\s~^<>=])v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?-([0-9A-Za-z.-]+)/g;

/** The npm semver spelling of a Masterminds constraint (not validated: the policy compiler does that). */
export function fromMastermindsRange(range: string): string {
  return range
    .split('||')
    .map((alternative) =>
      alternative
        .replace(/,/g, ' ')
        .replace(WILDCARD_PRERELEASE, (_whole, lead: string, ...parts: Array<string | undefined>) => {
          const [major, minor, patch, prerelease] = parts as [string, string | undefined, string | undefined, string];
          const number = (part: string | undefined) => (part === undefined || /^[xX*]$/.test(part) ? '0' : part);
          return `${lead}${number(major)}.${number(minor)}.${number(patch)}-${prerelease}`;
        })
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .join(' || ');
}
