// handleWebhook's matching: events name repositories as registries spell them; configured images as
// users spell them. Both are canonicalised (Docker Hub aliases, library/, host case) before comparing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleWebhook, type WebhookImage } from '../../src/webhook/handle-webhook.js';
import type { WebhookSource } from '../../src/webhook/webhook-source.js';
import { webhookSources } from '../../src/webhook/webhook-sources.js';
import { jsonBody, sampleBody, signedRequest } from './webhook-request.js';

const SECRET = 'matching-secret';

const IMAGES: WebhookImage[] = [
  { name: 'nginx', repository: 'nginx' },
  { name: 'nginx-mirror', repository: 'index.docker.io/library/nginx' },
  { name: 'hub-app', repository: 'acme/app' },
  { name: 'ghcr-app', repository: 'ghcr.io/acme/app' },
  { name: 'ghcr-app-canary', repository: 'GHCR.IO/acme/app' },
  { name: 'team-app', repository: 'registry.example.com:5000/team/app' },
  { name: 'gitlab-app', repository: 'registry.gitlab.example.com/acme/platform/app' },
  { name: 'harbor-app', repository: 'harbor.example.com/acme/app' },
  { name: 'quay-app', repository: 'quay.io/acme/app' },
  { name: 'acr-app', repository: 'acmeregistry.azurecr.io/acme/app' },
];

function matched(repository: string): string[] {
  const outcome = handleWebhook(webhookSources.generic, SECRET, signedRequest('generic', jsonBody({ repository }), SECRET), IMAGES);
  assert.equal(outcome.status, 202);
  return 'images' in outcome ? outcome.images : [];
}

describe('matching a pushed repository to configured images', () => {
  const cases: Array<[string, string, string[]]> = [
    ['bare official image', 'nginx', ['nginx', 'nginx-mirror']],
    ['library/ path without host', 'library/nginx', ['nginx', 'nginx-mirror']],
    ['docker.io host', 'docker.io/library/nginx', ['nginx', 'nginx-mirror']],
    ['index.docker.io host', 'index.docker.io/library/nginx', ['nginx', 'nginx-mirror']],
    ['registry-1.docker.io host', 'registry-1.docker.io/nginx', ['nginx', 'nginx-mirror']],
    ['Docker Hub user image without host', 'acme/app', ['hub-app']],
    ['Docker Hub user image with docker.io', 'docker.io/acme/app', ['hub-app']],
    ['ghcr.io, configured twice with different host case', 'ghcr.io/acme/app', ['ghcr-app', 'ghcr-app-canary']],
    ['host in upper case', 'GHCR.io/acme/app', ['ghcr-app', 'ghcr-app-canary']],
    ['host with port', 'REGISTRY.example.com:5000/team/app', ['team-app']],
    ['same path on another host', 'quay.io/team/app', []],
    ['path compared exactly', 'ghcr.io/acme/app-two', []],
    ['unconfigured repository', 'ghcr.io/someone/else', []],
  ];
  for (const [label, repository, images] of cases) {
    it(`${label}: ${repository} → [${images.join(', ')}]`, () => assert.deepEqual(matched(repository), images));
  }
});

describe('matching each recorded sample', () => {
  const cases: Array<[string, Parameters<typeof signedRequest>[0], string, string[], Record<string, string>?]> = [
    ['dockerhub: acme/app is docker.io/acme/app', 'dockerhub', 'dockerhub-push.json', ['hub-app']],
    ['github: Acme/app is ghcr.io/acme/app', 'github', 'github-package-published.json', ['ghcr-app', 'ghcr-app-canary'], { 'x-github-event': 'package' }],
    ['gitlab: project path on the registry host', 'gitlab', 'gitlab-registry-push.json', ['gitlab-app']],
    ['harbor: host from resource_url', 'harbor', 'harbor-push-artifact.json', ['harbor-app']],
    ['quay: two tags, one image', 'quay', 'quay-repository-push.json', ['quay-app']],
    ['quay: self-hosted, not configured', 'quay', 'quay-repository-push-legacy.json', []],
    ['acr: request.host + target.repository', 'acr', 'acr-push.json', ['acr-app']],
    ['distribution: request.host + target.repository', 'distribution', 'distribution-envelope.json', ['team-app']],
    ['generic: ghcr.io/acme/app', 'generic', 'generic-push.json', ['ghcr-app', 'ghcr-app-canary']],
  ];
  for (const [label, type, sample, images, headers] of cases) {
    it(label, () => {
      const outcome = handleWebhook(webhookSources[type], SECRET, signedRequest(type, sampleBody(sample), SECRET, headers), IMAGES);
      assert.equal(outcome.status, 202);
      assert.deepEqual('images' in outcome ? outcome.images : undefined, images);
    });
  }
});

describe('handleWebhook', () => {
  it('lists each image once, in config order, however many events name it', () => {
    const events = ['2.0.0', '2.0.1', 'latest'].map((tag) => ({
      action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository: 'team/app', tag },
      request: { host: 'registry.example.com:5000' },
    }));
    const images = [{ name: 'b', repository: 'registry.example.com:5000/team/app' }, { name: 'a', repository: 'Registry.Example.com:5000/team/app' }];
    const outcome = handleWebhook(webhookSources.distribution, SECRET, signedRequest('distribution', jsonBody({ events }), SECRET), images);
    assert.equal(outcome.status, 202);
    assert.deepEqual('images' in outcome ? outcome.images : undefined, ['b', 'a']);
    assert.equal('events' in outcome ? outcome.events.length : 0, 3);
  });

  it('never authenticates with an empty secret, even against an empty credential', () => {
    const request = { headers: { authorization: '', 'x-gitlab-token': '' }, query: { token: '' }, body: jsonBody({}) };
    for (const type of ['distribution', 'gitlab', 'quay'] as const) {
      assert.equal(handleWebhook(webhookSources[type], '', request, IMAGES).status, 401, type);
    }
    const signed = signedRequest('generic', jsonBody({ repository: 'nginx' }), '');
    assert.equal(handleWebhook(webhookSources.generic, '', signed, IMAGES).status, 401);
  });

  it('does not call parse when verification fails', () => {
    let parsed = false;
    const source: WebhookSource = { id: 'generic', verify: () => false, parse: () => ((parsed = true), []) };
    const outcome = handleWebhook(source, SECRET, { headers: {}, query: {}, body: jsonBody({}) }, IMAGES);
    assert.deepEqual(outcome, { status: 401, error: 'generic webhook: missing or invalid credentials' });
    assert.equal(parsed, false);
  });

  it('lets errors that are not about the payload propagate (a bug is not a 400)', () => {
    const source: WebhookSource = {
      id: 'generic',
      verify: () => true,
      parse: () => {
        throw new TypeError('boom');
      },
    };
    assert.throws(() => handleWebhook(source, SECRET, { headers: {}, query: {}, body: jsonBody({}) }, IMAGES), TypeError);
  });
});
