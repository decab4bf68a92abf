import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSemanticVersion } from '../../src/policy/semantic-version.js';
import { compileSemverRange, type RangeVerdict } from '../../src/policy/semver-range.js';

describe('compileSemverRange verdicts', () => {
  const cases: Array<{ label: string; range: string; version: string; want: RangeVerdict }> = [
    { label: 'release inside bounds', range: '>=1.0.0 <2.0.0', version: '1.5.0', want: 'in' },
    { label: 'release at the exclusive upper bound', range: '>=1.0.0 <2.0.0', version: '2.0.0', want: 'out' },
    { label: 'caret', range: '^1.2.3', version: '1.9.9', want: 'in' },
    { label: 'caret excludes the next major', range: '^1.2.3', version: '2.0.0', want: 'out' },
    { label: 'tilde', range: '~1.2.3', version: '1.3.0', want: 'out' },
    { label: 'x-range', range: '1.x', version: '1.99.0', want: 'in' },
    { label: 'hyphen range is inclusive', range: '1.0.0 - 2.0.0', version: '2.0.0', want: 'in' },
    { label: 'star matches any release', range: '*', version: '123.0.0', want: 'in' },
    { label: 'v in the range is fine', range: '>=v1.0.0', version: '1.0.0', want: 'in' },
    { label: 'prerelease kept out when the range names none', range: '>=1.0.0', version: '1.5.0-rc.1', want: 'prerelease' },
    { label: 'star admits no prerelease', range: '*', version: '1.0.0-rc.1', want: 'prerelease' },
    { label: 'prerelease outside the bounds anyway is plainly out', range: '>=1.0.0 <2.0.0', version: '3.0.0-rc.1', want: 'out' },
    { label: '>=1.0.0-0 admits prereleases of any later version (Flux, not npm tuple rule)', range: '>=1.0.0-0', version: '1.5.0-rc.1', want: 'in' },
    { label: 'a named prerelease admits others above it', range: '>=2.0.0-rc.1', version: '2.1.0-alpha.0', want: 'in' },
    { label: 'a named prerelease still bounds from below', range: '>=2.0.0-rc.2', version: '2.0.0-rc.1', want: 'out' },
    { label: 'rc10 is above a bound of rc9', range: '>=1.0.0-rc9', version: '1.0.0-rc10', want: 'in' },
    { label: 'the -0 upper bound semver derives names no prerelease', range: '>=1.0.0 <2.0.0-0', version: '1.5.0-rc.1', want: 'prerelease' },
    { label: 'derived upper bound still excludes next-major prereleases', range: '>=1.0.0-0 <2', version: '2.0.0-rc.1', want: 'out' },
    { label: 'named prerelease plus x-range lower bound', range: '>1.x >=1.0.0-0', version: '2.0.0-rc.1', want: 'in' },
    { label: 'only the alternative naming a prerelease admits one', range: '>=1.0.0-0 <2.0.0 || >=3.0.0', version: '3.1.0-rc.1', want: 'prerelease' },
    { label: 'the alternative naming a prerelease admits it', range: '>=1.0.0-0 <2.0.0 || >=3.0.0', version: '1.1.0-rc.1', want: 'in' },
    { label: 'a release in the second alternative', range: '1.x || 3.x', version: '3.2.1', want: 'in' },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const compiled = compileSemverRange(c.range);
      assert.ok('range' in compiled, JSON.stringify(compiled));
      assert.equal(compiled.range.test(parseSemanticVersion(c.version)!), c.want);
    });
  }
});

describe('compileSemverRange problems', () => {
  const cases = [
    { label: 'garbage comparator', range: '>=1 <<2', problem: /invalid semver range ">=1 <<2": Invalid comparator/ },
    { label: 'a word', range: 'latest', problem: /invalid semver range "latest"/ },
    { label: 'blank', range: '   ', problem: /expected a semver range/ },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const compiled = compileSemverRange(c.range);
      assert.ok('problem' in compiled);
      assert.match(compiled.problem, c.problem);
    });
  }
});
