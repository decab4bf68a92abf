import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isManifestPath } from '../../src/update/is-manifest-path.js';

describe('isManifestPath', () => {
  const cases: Array<[path: string, expected: boolean]> = [
    ['deploy.yaml', true],
    ['clusters/prod/app.yml', true],
    ['overlays/prod/Kustomization', true],
    ['kustomization.yaml', true],
    ['README.md', false],
    ['values.yaml.bak', false],
    ['.yaml', false],
    ['dir.yaml/notes.txt', false],
    ['APP.YAML', false],
    ['kustomization', false],
    ['windows\\style\\app.yaml', true],
  ];
  for (const [path, expected] of cases) {
    it(`${path} → ${expected}`, () => assert.equal(isManifestPath(path), expected));
  }
});
