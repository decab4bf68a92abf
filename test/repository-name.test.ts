import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalRepository, registryHost } from '../src/repository-name.js';

describe('canonicalRepository', () => {
  const cases: Array<[label: string, input: string, expected: string]> = [
    ['official image', 'nginx', 'docker.io/library/nginx'],
    ['official image with library/', 'library/nginx', 'docker.io/library/nginx'],
    ['Docker Hub user image', 'bitnami/redis', 'docker.io/bitnami/redis'],
    ['Docker Hub nested path', 'acme/team/app', 'docker.io/acme/team/app'],
    ['explicit docker.io', 'docker.io/nginx', 'docker.io/library/nginx'],
    ['already canonical', 'docker.io/library/nginx', 'docker.io/library/nginx'],
    ['index.docker.io alias', 'index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['registry-1.docker.io alias', 'registry-1.docker.io/bitnami/redis', 'docker.io/bitnami/redis'],
    ['registry.hub.docker.com alias', 'registry.hub.docker.com/acme/app', 'docker.io/acme/app'],
    ['Docker Hub host in capitals', 'Docker.IO/acme/app', 'docker.io/acme/app'],
    ['other registry', 'ghcr.io/acme/app', 'ghcr.io/acme/app'],
    ['host lowercased, path not touched', 'GHCR.io/acme/App', 'ghcr.io/acme/App'],
    ['registry port kept', 'registry.example.com:5000/team/api', 'registry.example.com:5000/team/api'],
    ['IP and port', '127.0.0.1:5000/acme/app', '127.0.0.1:5000/acme/app'],
    ['localhost with port', 'localhost:5000/app', 'localhost:5000/app'],
    ['bare localhost', 'localhost/app', 'localhost/app'],
    ['single-segment path on another registry stays as is', 'quay.io/app', 'quay.io/app'],
  ];
  for (const [label, input, expected] of cases) {
    it(`${label}: ${input} → ${expected}`, () => assert.equal(canonicalRepository(input), expected));
  }
});

describe('registryHost', () => {
  for (const [input, expected] of [
    ['index.docker.io', 'docker.io'],
    ['REGISTRY-1.docker.io', 'docker.io'],
    ['Registry.Example.com:5000', 'registry.example.com:5000'],
  ] as const) {
    it(`${input} → ${expected}`, () => assert.equal(registryHost(input), expected));
  }
});
