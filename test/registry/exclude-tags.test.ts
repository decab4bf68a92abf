// The exclude list, applied before policies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EXCLUDE } from '../../src/config/schema.js';
import { excludeTags } from '../../src/registry/exclude-tags.js';

describe('excludeTags', () => {
  const tags = ['1.0.0', 'sha256-abc.sig', 'sha256-abc.att', 'sha256-abc.sbom', 'signed', '1.1.0'];
  const cases: Array<{ label: string; patterns: string[]; kept: string[]; excluded: string[] }> = [
    {
      label: "the default drops cosign's .sig, .att and .sbom",
      patterns: DEFAULT_EXCLUDE,
      kept: ['1.0.0', 'signed', '1.1.0'],
      excluded: ['sha256-abc.sig', 'sha256-abc.att', 'sha256-abc.sbom'],
    },
    { label: 'an empty list keeps everything', patterns: [], kept: tags, excluded: [] },
    { label: 'patterns are unanchored', patterns: ['sig'], kept: ['1.0.0', 'sha256-abc.att', 'sha256-abc.sbom', '1.1.0'], excluded: ['sha256-abc.sig', 'signed'] },
    { label: 'a given list replaces the default', patterns: ['^1\\.0'], kept: tags.filter((t) => t !== '1.0.0'), excluded: ['1.0.0'] },
  ];
  for (const c of cases) {
    it(c.label, () => assert.deepEqual(excludeTags(tags, c.patterns), { tags: c.kept, excluded: c.excluded }));
  }
});
