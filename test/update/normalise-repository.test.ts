import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseRepository } from '../../src/update/normalise-repository.js';

describe('normaliseRepository', () => {
  const cases: Array<[label: string, input: string, expected: string]> = [
    ['official image', 'nginx', 'docker.io/library/nginx'],
    ['Docker Hub user image', 'bitnami/redis', 'docker.io/bitnami/redis'],
    ['explicit docker.io', 'docker.io/nginx', 'docker.io/library/nginx'],
    ['already canonical', 'docker.io/library/nginx', 'docker.io/library/nginx'],
    ['index.docker.io alias', 'index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['registry-1.docker.io alias', 'registry-1.docker.io/bitnami/redis', 'docker.io/bitnami/redis'],
    ['other registry', 'ghcr.io/acme/app', 'ghcr.io/acme/app'],
    ['registry port kept', 'registry.example.com:5000/team/api', 'registry.example.com:5000/team/api'],
    ['localhost with port', 'localhost:5000/app', 'localhost:5000/app'],
    ['bare localhost', 'localhost/app', 'localhost/app'],
    ['host lowercased, path not touched', 'GHCR.io/acme/app', 'ghcr.io/acme/app'],
    ['single-segment path on another registry stays as is', 'quay.io/app', 'quay.io/app'],
  ];
  for (const [label, input, expected] of cases) {
    it(label, () => assert.equal(normaliseRepository(input), expected));
  }

  it('keeps a port as part of the host, so it tells registries apart', () => {
    assert.notEqual(normaliseRepository('registry.example.com:5000/team/api'), normaliseRepository('registry.example.com/team/api'));
  });
});
