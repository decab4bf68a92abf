import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalRepository } from '../../src/webhook/canonical-repository.js';

describe('canonicalRepository', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx'],
    ['library/nginx', 'docker.io/library/nginx'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['registry-1.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['registry.hub.docker.com/acme/app', 'docker.io/acme/app'],
    ['Docker.IO/acme/app', 'docker.io/acme/app'],
    ['acme/app', 'docker.io/acme/app'],
    ['acme/team/app', 'docker.io/acme/team/app'],
    ['GHCR.io/acme/app', 'ghcr.io/acme/app'],
    ['registry.example.com:5000/team/app', 'registry.example.com:5000/team/app'],
    ['localhost/app', 'localhost/app'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['127.0.0.1:5000/acme/app', '127.0.0.1:5000/acme/app'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(canonicalRepository(input), expected));
  }
});
