// Golden cases (STYLE rule 7): test/fixtures/<case>/original/ run through applySetters must equal
// expected/ byte for byte, and the changes and problems must equal case.json's. Expected files were
// written by hand (original plus the intended scalar swaps), not produced by this code.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applySetters } from '../../src/update/apply-setters.js';
import type { ImagePick, SetterChange, SetterProblem } from '../../src/update/apply-setters.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

interface GoldenCase {
  about: string;
  mode: 'markers' | 'auto';
  picks: ImagePick[];
  knownPolicies?: string[];
  maxBytes?: number;
  changes: SetterChange[];
  problems: SetterProblem[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

const caseNames = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(FIXTURES, entry.name, 'case.json')))
  .map((entry) => entry.name)
  .sort();

describe('applySetters golden cases', () => {
  it('has at least 25 cases', () => {
    assert.ok(caseNames.length >= 25, `only ${caseNames.length} cases`);
  });

  for (const name of caseNames) {
    const dir = join(FIXTURES, name);
    const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as GoldenCase;
    it(`${name}: ${spec.about}`, () => {
      const picks = new Map(spec.picks.map((pick) => [pick.policy, pick]));
      const options = {
        mode: spec.mode,
        ...(spec.knownPolicies && { knownPolicies: new Set(spec.knownPolicies) }),
        ...(spec.maxBytes !== undefined && { maxBytes: spec.maxBytes }),
      };
      const originals = filesUnder(join(dir, 'original'));
      const changes: SetterChange[] = [];
      const problems: SetterProblem[] = [];
      for (const path of originals) {
        const file = relative(join(dir, 'original'), path).split(sep).join('/');
        const original = readFileSync(path, 'utf8');
        const result = applySetters(file, original, picks, options);
        const expected = readFileSync(join(dir, 'expected', file));
        assert.deepEqual(Buffer.from(result.text, 'utf8'), expected, `${file} differs from expected/${file}`);
        if (result.changes.length === 0) assert.equal(result.text, original, `${file}: no change must mean the very input`);
        changes.push(...result.changes);
        problems.push(...result.problems);
      }
      assert.deepEqual(filesUnder(join(dir, 'expected')).map((p) => relative(join(dir, 'expected'), p)), originals.map((p) => relative(join(dir, 'original'), p)));
      assert.deepEqual(changes, spec.changes);
      assert.deepEqual(problems, spec.problems);
    });
  }
});
