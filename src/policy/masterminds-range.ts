// Flux and Argo CD Image Updater read ranges with Masterminds/semver; tagpilot with npm's semver.
// They share the operators, x-ranges, `~`, `^`, hyphens and `||`. What only Masterminds has is
// rewritten here, once, when the policy compiles: `,` for "and", `=>`/`=<`, hyphen ranges beside
// other comparators, `~0.0.0` (any version), a prerelease on a
// wildcard (`^1.x-0`, npm's `^1.0.0-0`), and `!=`, which npm lacks and which becomes a version
// pattern the range leaves out. https://github.com/Masterminds/semver#checking-version-constraints

/** A `!=` operand: a part that is null was a wildcard or left out (`!=1.2` excludes every 1.2.x). */
export interface ExcludedVersion {
  major: number | null;
  minor: number | null;
  patch: number | null;
  prerelease: readonly string[];
}

/** One `||` alternative in npm syntax, plus the versions its `!=` comparators leave out. */
export interface MastermindsAlternative {
  npm: string;
  excluded: ExcludedVersion[];
}

const WILDCARD_PRERELEASE = /(^|\s)(~>|~|\^|>=|<=|>|<|=)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?-([0-9A-Za-z.-]+)(?=\s|$)/g;
const VERSION = String.raw`v?[0-9xX*]+(?:\.[0-9xX*]+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`;
// npm allows a hyphen range only alone; Masterminds ands it with the rest, as `>=A <=B` (which npm reads alike).
const HYPHEN = new RegExp(String.raw`(^|\s)(${VERSION})\s+-\s+(${VERSION})(?=\s|$)`, 'g');
// Masterminds reads a tilde on 0.0.0 as "any version"; npm as <0.1.0.
const TILDE_ZERO = /(^|\s)~>?\s*v?0\.0\.0(?=\s|$)/g;
const NOT_EQUAL = /!=\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?(?=\s|$)/g;

/** Splits a range on `||` and rewrites each alternative's Masterminds-only syntax (not validated here). */
export function readMastermindsRange(range: string): MastermindsAlternative[] {
  return range.split('||').map((alternative) => {
    const excluded: ExcludedVersion[] = [];
    const npm = alternative
      .replace(/,/g, ' ')
      .replace(/=>/g, '>=')
      .replace(/=</g, '<=')
      .replace(HYPHEN, (_whole, lead: string, from: string, to: string) => `${lead}>=${from} <=${to}`)
      .replace(TILDE_ZERO, '$1>=0.0.0')
      .replace(NOT_EQUAL, (_whole, major: string, minor?: string, patch?: string, prerelease?: string) => {
        const number = (part: string | undefined) => (part === undefined || /^[xX*]$/.test(part) ? null : Number(part));
        excluded.push({ major: number(major), minor: number(minor), patch: number(patch), prerelease: prerelease?.split('.') ?? [] });
        return ' ';
      })
      .replace(WILDCARD_PRERELEASE, (whole, lead: string, operator: string | undefined, ...parts: Array<string | undefined>) => {
        const rewritten = wildcardWithPrerelease(operator ?? '', parts as [string, string | undefined, string | undefined, string]);
        return rewritten === null ? whole : `${lead}${rewritten}`;
      })
      .replace(/\s+/g, ' ')
      .trim();
    return { npm, excluded };
  });
}


const isWild = (part: string | undefined): boolean => part === undefined || /^[xX*]$/.test(part);

/**
 * `2.x-0`, `~1.x-0`, `^1.x-0`, `>=1.x-rc.0`: npm has no prerelease on a partial version. Bare, `=`
 * and `~` ranges span what Masterminds' tilde does (`2.x-0` is every 2.* version, prereleases
 * included); other operators take the zero-filled version. A full version is left as written.
 */
function wildcardWithPrerelease(operator: string, [major, minor, patch, prerelease]: [string, string | undefined, string | undefined, string]): string | null {
  if (!isWild(major) && !isWild(minor) && !isWild(patch)) return null;
  const number = (part: string | undefined) => (isWild(part) ? '0' : part!);
  const lower = `${number(major)}.${number(minor)}.${number(patch)}-${prerelease}`;
  if (!['', '=', '~', '~>'].includes(operator)) return `${operator}${lower}`;
  if (isWild(major)) return `>=${lower}`;
  const upper = isWild(minor) ? `${Number(major) + 1}.0.0-0` : `${major}.${Number(minor) + 1}.0-0`;
  return `>=${lower} <${upper}`;
}
