import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSemanticVersions, parseSemanticVersion } from '../../src/policy/semantic-version.js';

describe('parseSemanticVersion', () => {
  const cases: Array<{ label: string; text: string; want: ReturnType<typeof parseSemanticVersion> }> = [
    { label: 'plain release', text: '1.2.3', want: { major: 1, minor: 2, patch: 3, prerelease: [] } },
    { label: 'lowercase v prefix', text: 'v1.2.3', want: { major: 1, minor: 2, patch: 3, prerelease: [] } },
    { label: 'prerelease identifiers split on dots', text: '1.0.0-rc.10', want: { major: 1, minor: 0, patch: 0, prerelease: ['rc', '10'] } },
    { label: 'build metadata dropped', text: '1.0.0-beta+exp.sha.5114f85', want: { major: 1, minor: 0, patch: 0, prerelease: ['beta'] } },
    { label: 'zeros are fine on their own', text: '0.0.0', want: { major: 0, minor: 0, patch: 0, prerelease: [] } },
    { label: 'hyphens inside identifiers', text: '1.0.0-x-y-z.--', want: { major: 1, minor: 0, patch: 0, prerelease: ['x-y-z', '--'] } },
    { label: 'leading zero inside an alphanumeric identifier', text: '1.0.0-01a', want: { major: 1, minor: 0, patch: 0, prerelease: ['01a'] } },
    { label: 'largest safe major', text: '9007199254740991.0.0', want: { major: 9007199254740991, minor: 0, patch: 0, prerelease: [] } },
    { label: 'two parts is not semver', text: '1.2', want: null },
    { label: 'four parts is not semver', text: '1.2.3.4', want: null },
    { label: 'leading zero in major', text: '01.2.3', want: null },
    { label: 'leading zero in patch', text: '1.2.03', want: null },
    { label: 'leading zero in a numeric prerelease identifier', text: '1.2.3-rc.01', want: null },
    { label: 'empty prerelease identifier', text: '1.2.3-rc..1', want: null },
    { label: 'empty prerelease', text: '1.2.3-', want: null },
    { label: 'empty build', text: '1.2.3+', want: null },
    { label: 'uppercase V', text: 'V1.2.3', want: null },
    { label: 'equals prefix', text: '=1.2.3', want: null },
    { label: 'surrounding whitespace', text: ' 1.2.3', want: null },
    { label: 'words', text: 'latest', want: null },
    { label: 'major above 2^53-1', text: '9007199254740992.0.0', want: null },
    { label: 'empty string', text: '', want: null },
  ];
  for (const c of cases) {
    it(c.label, () => assert.deepEqual(parseSemanticVersion(c.text), c.want));
  }
});

describe('compareSemanticVersions', () => {
  // Each pair is [lower, higher].
  const ordered: Array<{ label: string; lower: string; higher: string }> = [
    { label: 'major by value', lower: '9.0.0', higher: '10.0.0' },
    { label: 'minor by value', lower: '1.9.0', higher: '1.10.0' },
    { label: 'patch by value', lower: '1.0.9', higher: '1.0.10' },
    { label: 'release above its prerelease', lower: '1.0.0-rc.1', higher: '1.0.0' },
    { label: 'numeric identifiers by value (rc.9 < rc.10)', lower: '1.0.0-rc.9', higher: '1.0.0-rc.10' },
    { label: 'digit runs inside identifiers by value (rc9 < rc10)', lower: '1.0.0-rc9', higher: '1.0.0-rc10' },
    { label: 'digit runs anywhere in an identifier', lower: '1.0.0-build9x', higher: '1.0.0-build10a' },
    { label: 'numeric below alphanumeric', lower: '1.0.0-999', higher: '1.0.0-a' },
    { label: 'alphanumerics in ASCII order', lower: '1.0.0-alpha', higher: '1.0.0-beta' },
    { label: 'fewer identifiers below more', lower: '1.0.0-alpha', higher: '1.0.0-alpha.1' },
    { label: 'semver.org example chain: alpha.1 < alpha.beta', lower: '1.0.0-alpha.1', higher: '1.0.0-alpha.beta' },
    { label: 'semver.org example chain: beta.2 < beta.11', lower: '1.0.0-beta.2', higher: '1.0.0-beta.11' },
    { label: 'numeric identifiers beyond 2^53 compare exactly', lower: '1.0.0-9007199254740992', higher: '1.0.0-9007199254740993' },
    { label: 'hyphen sorts before digits, as in ASCII', lower: '1.0.0-rc-1', higher: '1.0.0-rc1' },
    { label: 'padded digit run equal by value falls back to plain order', lower: '1.0.0-rc01', higher: '1.0.0-rc1' },
  ];
  for (const c of ordered) {
    it(c.label, () => {
      const lower = parseSemanticVersion(c.lower)!;
      const higher = parseSemanticVersion(c.higher)!;
      assert.ok(compareSemanticVersions(lower, higher) < 0, `${c.lower} < ${c.higher}`);
      assert.ok(compareSemanticVersions(higher, lower) > 0, `${c.higher} > ${c.lower}`);
    });
  }

  const equal: Array<{ label: string; a: string; b: string }> = [
    { label: 'v prefix does not change the version', a: 'v1.2.3', b: '1.2.3' },
    { label: 'build metadata does not change the version', a: '1.2.3+a', b: '1.2.3+b' },
  ];
  for (const c of equal) {
    it(c.label, () => assert.equal(compareSemanticVersions(parseSemanticVersion(c.a)!, parseSemanticVersion(c.b)!), 0));
  }
});
