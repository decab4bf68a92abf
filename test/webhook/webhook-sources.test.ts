// Every webhook source against its registry's recorded sample (see samples/README.md for where each
// shape comes from): accepted with its events, refused without the secret (401, before the body is
// read), 400 on a body that is not JSON or not the registry's shape, naming the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WEBHOOK_TYPES } from '../../src/config/schema.js';
import { handleWebhook } from '../../src/webhook/handle-webhook.js';
import type { PushEvent, WebhookType } from '../../src/webhook/webhook-source.js';
import { webhookSources } from '../../src/webhook/webhook-sources.js';
import { jsonBody, sampleBody, signedRequest, withoutCredentials } from './webhook-request.js';

const SECRET = 's3cr3t-for-tests';

interface SourceCase {
  type: WebhookType;
  sample: string;
  headers?: Record<string, string>;
  events: PushEvent[];
  /** A body in the wrong shape and the field the 400 must name. */
  mismatch: { body: unknown; field: string };
}

const CASES: SourceCase[] = [
  {
    type: 'dockerhub',
    sample: 'dockerhub-push.json',
    events: [{ repository: 'acme/app', tag: '1.4.2' }],
    mismatch: { body: { push_data: { tag: '1.4.2' }, repository: { name: 'app' } }, field: 'repository.repo_name' },
  },
  {
    type: 'github',
    sample: 'github-package-published.json',
    headers: { 'x-github-event': 'package' },
    events: [{ repository: 'ghcr.io/acme/app', tag: '1.4.2' }],
    mismatch: { body: { action: 'published', package: { name: 'app', package_type: 'CONTAINER' } }, field: 'package.owner' },
  },
  {
    type: 'github',
    sample: 'github-registry-package-published.json',
    headers: { 'x-github-event': 'registry_package' },
    events: [{ repository: 'ghcr.io/acme/app', tag: '1.4.2' }],
    mismatch: { body: { action: 'published' }, field: 'registry_package' },
  },
  {
    type: 'gitlab',
    sample: 'gitlab-registry-push.json',
    events: [{ repository: 'registry.gitlab.example.com/acme/platform/app', tag: '3.1.0' }],
    mismatch: {
      body: { events: [{ action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', tag: '1' } }] },
      field: 'events[0].target.repository',
    },
  },
  {
    type: 'harbor',
    sample: 'harbor-push-artifact.json',
    events: [{ repository: 'harbor.example.com/acme/app', tag: '1.4.2' }],
    mismatch: {
      body: { type: 'PUSH_ARTIFACT', event_data: { resources: [{ tag: '1.4.2' }], repository: { repo_full_name: 'acme/app' } } },
      field: 'event_data.resources[0].resource_url',
    },
  },
  {
    type: 'quay',
    sample: 'quay-repository-push.json',
    events: [
      { repository: 'quay.io/acme/app', tag: '1.4.2' },
      { repository: 'quay.io/acme/app', tag: 'latest' },
    ],
    mismatch: { body: { repository: 'acme/app', updated_tags: ['1.4.2'] }, field: 'docker_url' },
  },
  {
    type: 'quay',
    sample: 'quay-repository-push-legacy.json',
    events: [{ repository: 'quay.example.com/acme/app', tag: '1.4.2' }],
    mismatch: { body: { docker_url: 'quay.io/acme/app', updated_tags: 'latest' }, field: 'updated_tags' },
  },
  {
    type: 'acr',
    sample: 'acr-push.json',
    events: [{ repository: 'acmeregistry.azurecr.io/acme/app', tag: '1.4.2' }],
    mismatch: { body: { action: 'push', target: { repository: 'acme/app', tag: '1.4.2' } }, field: 'request' },
  },
  {
    type: 'distribution',
    sample: 'distribution-envelope.json',
    events: [{ repository: 'registry.example.com:5000/team/app', tag: '2.0.0' }],
    mismatch: { body: { events: { action: 'push' } }, field: 'events' },
  },
  {
    type: 'generic',
    sample: 'generic-push.json',
    events: [{ repository: 'ghcr.io/acme/app', tag: '1.4.2' }],
    mismatch: { body: { image: 'ghcr.io/acme/app', tag: '1.4.2' }, field: 'repository' },
  },
];

describe('webhookSources table', () => {
  it('has a source for every configurable webhook type, under its own id', () => {
    assert.deepEqual(Object.keys(webhookSources).sort(), [...WEBHOOK_TYPES].sort());
    for (const type of WEBHOOK_TYPES) assert.equal(webhookSources[type].id, type);
  });
  it('has a recorded sample for every type', () => {
    assert.deepEqual([...new Set(CASES.map((c) => c.type))].sort(), [...WEBHOOK_TYPES].sort());
  });
});

for (const c of CASES) {
  describe(`${c.type} with ${c.sample}`, () => {
    const source = webhookSources[c.type];
    const body = sampleBody(c.sample);

    it('accepts the recorded sample and reports its pushes', () => {
      const outcome = handleWebhook(source, SECRET, signedRequest(c.type, body, SECRET, c.headers), []);
      assert.deepEqual(outcome, { status: 202, images: [], events: c.events, tags: new Map() });
    });

    it('401 when the secret is wrong', () => {
      const outcome = handleWebhook(source, SECRET, signedRequest(c.type, body, 'not-the-secret', c.headers), []);
      assert.equal(outcome.status, 401);
    });

    it('401 when the credentials are missing', () => {
      const outcome = handleWebhook(source, SECRET, withoutCredentials(signedRequest(c.type, body, SECRET, c.headers)), []);
      assert.equal(outcome.status, 401);
    });

    it('401 before the body is read: bad credentials and a malformed body', () => {
      const request = signedRequest(c.type, Buffer.from('{"events": ['), 'not-the-secret', c.headers);
      assert.equal(handleWebhook(source, SECRET, request, []).status, 401);
    });

    it('400 on a body that is not JSON', () => {
      const outcome = handleWebhook(source, SECRET, signedRequest(c.type, Buffer.from('{"events": ['), SECRET, c.headers), []);
      assert.equal(outcome.status, 400);
      assert.match('error' in outcome ? outcome.error : '', new RegExp(`^${c.type} payload: not valid JSON`));
    });

    it(`400 naming ${c.mismatch.field} when the body has the wrong shape`, () => {
      const request = signedRequest(c.type, jsonBody(c.mismatch.body), SECRET, c.headers);
      const outcome = handleWebhook(source, SECRET, request, []);
      assert.equal(outcome.status, 400);
      const error = 'error' in outcome ? outcome.error : '';
      assert.ok(error.startsWith(`${c.type} payload: ${c.mismatch.field}:`), error);
    });
  });
}

/** Events a source reads from `body`, which must be accepted (202). */
function eventsOf(type: WebhookType, body: unknown, headers?: Record<string, string>): PushEvent[] {
  const outcome = handleWebhook(webhookSources[type], SECRET, signedRequest(type, jsonBody(body), SECRET, headers), []);
  assert.equal(outcome.status, 202, JSON.stringify(outcome));
  return 'events' in outcome ? outcome.events : [];
}

const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

describe('distribution envelope filtering', () => {
  const host = { host: 'registry.example.com:5000' };
  const cases: Array<[string, unknown, PushEvent[]]> = [
    ['tagged manifest push', { action: 'push', target: { mediaType: MANIFEST, repository: 'team/app', tag: '2.0.0' }, request: host }, [{ repository: 'registry.example.com:5000/team/app', tag: '2.0.0' }]],
    ['OCI index push', { action: 'push', target: { mediaType: 'application/vnd.oci.image.index.v1+json', repository: 'team/app', tag: '2.0.0' }, request: host }, [{ repository: 'registry.example.com:5000/team/app', tag: '2.0.0' }]],
    ['manifest pull', { action: 'pull', target: { mediaType: MANIFEST, repository: 'team/app', tag: '2.0.0' }, request: host }, []],
    ['manifest delete', { action: 'delete', target: { digest: 'sha256:00', repository: 'team/app' }, request: host }, []],
    ['layer blob push', { action: 'push', target: { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', repository: 'team/app' }, request: host }, []],
    ['blob push that names a tag', { action: 'push', target: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', repository: 'team/app', tag: 'x' }, request: host }, []],
    ['manifest push by digest (no tag)', { action: 'push', target: { mediaType: MANIFEST, repository: 'team/app' }, request: host }, []],
    ['blob mount', { action: 'mount', target: { mediaType: 'application/octet-stream', repository: 'team/app', fromRepository: 'team/base' }, request: host }, []],
  ];
  for (const [label, event, expected] of cases) {
    it(label, () => assert.deepEqual(eventsOf('distribution', { events: [event] }), expected));
  }

  it("matches the configured images the pushes name, in config order, each with its pushes' tags", () => {
    const push = (repository: string, tag: string) => ({ action: 'push', target: { mediaType: MANIFEST, repository, tag }, request: host });
    const body = { events: [push('team/app', '2.0.0'), push('team/other', '1.0.0'), push('team/app', '2.0.1'), push('team/app', '2.0.0')] };
    const images = [
      { name: 'other', repository: 'registry.example.com:5000/team/other' },
      { name: 'unrelated', repository: 'registry.example.com:5000/team/unrelated' },
      { name: 'app', repository: 'registry.example.com:5000/team/app' },
    ];
    const outcome = handleWebhook(webhookSources.distribution, SECRET, signedRequest('distribution', jsonBody(body), SECRET), images);
    assert.equal(outcome.status, 202);
    assert.ok('tags' in outcome);
    assert.deepEqual(outcome.images, ['other', 'app']);
    assert.deepEqual(outcome.tags, new Map([['other', ['1.0.0']], ['app', ['2.0.0', '2.0.1']]]));
  });

  it('push + pull + blob push in one envelope yields only the manifest push', () => {
    const events = cases.slice(2, 5).map(([, event]) => event).concat([cases[0]![1]]);
    assert.deepEqual(eventsOf('distribution', { events }), [{ repository: 'registry.example.com:5000/team/app', tag: '2.0.0' }]);
  });

  it('an empty envelope is accepted with no pushes', () => assert.deepEqual(eventsOf('distribution', { events: [] }), []));

  it('takes the host from target.url when request.host is missing', () => {
    const event = { action: 'push', target: { mediaType: MANIFEST, repository: 'team/app', tag: '2.0.0', url: 'https://reg.internal:5443/v2/team/app/manifests/sha256:00' } };
    assert.deepEqual(eventsOf('distribution', { events: [event] }), [{ repository: 'reg.internal:5443/team/app', tag: '2.0.0' }]);
  });

  it('400 naming events[1].request.host when a manifest push has no host at all', () => {
    const event = { action: 'push', target: { mediaType: MANIFEST, repository: 'team/app', tag: '2.0.0' } };
    const body = jsonBody({ events: [cases[2]![1], event] });
    const outcome = handleWebhook(webhookSources.distribution, SECRET, signedRequest('distribution', body, SECRET), []);
    assert.equal(outcome.status, 400);
    assert.match('error' in outcome ? outcome.error : '', /^distribution payload: events\[1\]\.request\.host:/);
  });
});

describe('events that name no push are accepted with none', () => {
  const cases: Array<[string, WebhookType, unknown, Record<string, string>?]> = [
    ['github ping', 'github', { zen: 'Keep it logically awesome.', hook_id: 1 }, { 'x-github-event': 'ping' }],
    ['github push event (not a package)', 'github', { ref: 'refs/heads/main' }, { 'x-github-event': 'push' }],
    ['github npm package', 'github', { action: 'published', package: { name: 'lib', package_type: 'npm', owner: { login: 'acme' } } }, { 'x-github-event': 'package' }],
    ['harbor PULL_ARTIFACT', 'harbor', { type: 'PULL_ARTIFACT', event_data: { resources: [{ tag: '1' }] } }],
    ['harbor SCANNING_COMPLETED', 'harbor', { type: 'SCANNING_COMPLETED', event_data: {} }],
    ['acr delete', 'acr', { action: 'delete', target: { mediaType: MANIFEST, digest: 'sha256:00', repository: 'hello-world' }, request: { host: 'myregistry.azurecr.io' } }],
    ['acr chart_push', 'acr', { action: 'chart_push', target: { repository: 'repo', tag: 'wordpress-5.4.0.tgz' } }],
    ['acr push by digest', 'acr', { action: 'push', target: { mediaType: MANIFEST, repository: 'acme/app' }, request: { host: 'myregistry.azurecr.io' } }],
  ];
  for (const [label, type, body, headers] of cases) {
    it(label, () => assert.deepEqual(eventsOf(type, body, headers), []));
  }
});

describe('source details', () => {
  it('github infers the event from the body when X-GitHub-Event is absent', () => {
    const body = JSON.parse(sampleBody('github-registry-package-published.json').toString('utf8'));
    assert.deepEqual(eventsOf('github', body), [{ repository: 'ghcr.io/acme/app', tag: '1.4.2' }]);
  });

  it('github lower-cases owner and package and omits an empty tag', () => {
    const body = { action: 'updated', package: { name: 'My-App', package_type: 'CONTAINER', owner: { login: 'AcMe' }, package_version: { container_metadata: { tag: { name: '' } } } } };
    assert.deepEqual(eventsOf('github', body, { 'x-github-event': 'package' }), [{ repository: 'ghcr.io/acme/my-app' }]);
  });

  it('github refuses a signature made over a different body', () => {
    const signed = signedRequest('github', sampleBody('github-package-published.json'), SECRET, { 'x-github-event': 'package' });
    const tampered = { ...signed, body: jsonBody({ action: 'published' }) };
    assert.equal(handleWebhook(webhookSources.github, SECRET, tampered, []).status, 401);
  });

  it('quay without updated_tags reports the repository without a tag', () => {
    assert.deepEqual(eventsOf('quay', { docker_url: 'quay.io/acme/app' }), [{ repository: 'quay.io/acme/app' }]);
  });

  it('harbor reports one push per resource', () => {
    const body = {
      type: 'PUSH_ARTIFACT',
      event_data: {
        resources: [
          { tag: '1.0', resource_url: 'harbor.example.com/acme/app:1.0' },
          { digest: 'sha256:00', resource_url: 'harbor.example.com/acme/app@sha256:00' },
        ],
        repository: { repo_full_name: 'acme/app' },
      },
    };
    assert.deepEqual(eventsOf('harbor', body), [{ repository: 'harbor.example.com/acme/app', tag: '1.0' }, { repository: 'harbor.example.com/acme/app' }]);
  });

  it('harbor names the resource_url that has no host', () => {
    const body = jsonBody({ type: 'PUSH_ARTIFACT', event_data: { resources: [{ tag: '1', resource_url: 'app:1' }], repository: { repo_full_name: 'acme/app' } } });
    const outcome = handleWebhook(webhookSources.harbor, SECRET, signedRequest('harbor', body, SECRET), []);
    assert.equal(outcome.status, 400);
    assert.match('error' in outcome ? outcome.error : '', /^harbor payload: event_data\.resources\[0\]\.resource_url:/);
  });

  it('a JSON body that is not an object is a 400 naming the body', () => {
    const outcome = handleWebhook(webhookSources.generic, SECRET, signedRequest('generic', jsonBody(['ghcr.io/acme/app']), SECRET), []);
    assert.equal(outcome.status, 400);
    assert.match('error' in outcome ? outcome.error : '', /^generic payload: \(body\):/);
  });
});
