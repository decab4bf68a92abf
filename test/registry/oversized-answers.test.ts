// A registry that answers with far more than any tags/list, token or manifest needs: the answer is
// cut at its limit without being held whole, that image alone fails with an error naming the URL
// and the limit, and the other images still scan.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pipeline } from '../../src/automation/pipeline.js';
import { Config } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { DEFAULT_CLIENT_OPTIONS, RegistryClient } from '../../src/registry/registry-client.js';
import { reply, startScriptedRegistry, streamTagList, type ScriptedRegistry } from './scripted-registry.js';

const HUGE_BYTES = 300 * 1024 * 1024;
const MiB = 1024 * 1024;

describe('oversized registry answers', () => {
  let registry: ScriptedRegistry;
  before(async () => {
    registry = await startScriptedRegistry();
  });
  after(async () => {
    await registry?.close();
  });

  it('a 300 MB tags/list fails that image alone, with the URL and the limit, and memory stays low', { timeout: 60_000 }, async () => {
    let huge: { sent: () => number } | undefined;
    registry.script((req, res) => {
      if (req.url?.startsWith('/v2/acme/huge/tags/list')) huge = streamTagList(res, HUGE_BYTES);
      else if (req.url?.startsWith('/v2/acme/app/tags/list')) reply(res, 200, { name: 'acme/app', tags: ['1.0.0', '1.1.0'] });
      else reply(res, 404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    });
    const config = Config.parse({
      images: [
        { name: 'huge', repository: `${registry.host}/acme/huge` },
        { name: 'app', repository: `${registry.host}/acme/app` },
      ],
      policies: [
        { name: 'huge', image: 'huge', semver: '>=1.0.0' },
        { name: 'app', image: 'app', semver: '>=1.0.0' },
      ],
      registries: [{ host: registry.host, insecure: true }],
      stateDir: await mkdtemp(join(tmpdir(), 'tagpilot-oversized-')),
    });
    const pipeline = new Pipeline(config, createLogger('silent'));

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    let outcomes;
    try {
      outcomes = await Promise.all([pipeline.scanImage('huge'), pipeline.scanImage('app')]);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);

    const limit = DEFAULT_CLIENT_OPTIONS.maxBodyBytes.tagsList;
    const [hugeOutcome, appOutcome] = outcomes;
    assert.ok(hugeOutcome.failure instanceof InputError, 'refused for good, not retried');
    assert.equal(hugeOutcome.failure.code, 'RESPONSE_TOO_LARGE');
    const expected = `${registry.host}/acme/huge: http://${registry.host}/v2/acme/huge/tags/list sent a tags/list page larger than the limit of ${limit} bytes; refused unread`;
    assert.equal(pipeline.images.get('huge')!.error, expected, 'status shows why');
    assert.equal(appOutcome.failure ?? null, null);
    assert.deepEqual(pipeline.images.get('app')!.tags, ['1.0.0', '1.1.0']);
    assert.equal(pipeline.policies.get('app')!.pick?.tag, '1.1.0');
    // Read up to the limit, then the connection was dropped: nowhere near the 300 MB on offer.
    assert.ok(huge!.sent() < limit + 16 * MiB, `the registry got to send ${huge!.sent()} bytes`);
    assert.ok(peak - baseline < 100 * MiB, `RSS grew by ${Math.round((peak - baseline) / MiB)} MiB`);
  });

  const small = { ...DEFAULT_CLIENT_OPTIONS, maxBodyBytes: { tagsList: 64 * 1024, manifest: 4096, token: 1024, blob: 4096 } };
  const cases: Array<{ label: string; call: (client: RegistryClient) => Promise<unknown>; message: RegExp }> = [
    {
      label: 'a tags/list with a Content-Length over the limit is refused before its body is read',
      call: (client) => client.listTags(`${registry.host}/acme/declared`),
      message: /acme\/declared: http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/declared\/tags\/list sent a tags\/list page larger than the limit of 65536 bytes; refused unread$/,
    },
    {
      label: 'a gzip-encoded tags/list far smaller than the limit on the wire, but not once decoded, is refused',
      call: (client) => client.listTags(`${registry.host}/acme/bomb`),
      message: /acme\/bomb: http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/bomb\/tags\/list sent a tags\/list page larger than the limit of 65536 bytes; refused unread$/,
    },
    {
      label: 'a manifest over its limit (hashed for a digest when HEAD gives none)',
      call: (client) => client.getDigest(`${registry.host}/acme/fat`, '1.0.0'),
      message: /acme\/fat: http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/fat\/manifests\/1\.0\.0 sent a manifest larger than the limit of 4096 bytes; refused unread$/,
    },
    {
      label: 'a token answer over its limit, named by its realm without the query',
      call: (client) => client.listTags(`${registry.host}/acme/private`),
      message: /acme\/private: token service http:\/\/127\.0\.0\.1:\d+\/token: http:\/\/127\.0\.0\.1:\d+\/token sent a token answer larger than the limit of 1024 bytes; refused unread$/,
    },
  ];
  for (const { label, call, message } of cases) {
    it(label, async () => {
      registry.script((req, res) => {
        const url = req.url ?? '';
        if (url.startsWith('/v2/acme/declared/tags/list')) streamTagList(res, 10 * MiB, { 'content-length': String(10 * MiB) });
        else if (url.startsWith('/v2/acme/bomb/tags/list')) {
          const tags = Array.from({ length: 100_000 }, (_, i) => `1.0.${i % 10}`);
          const gzipped = gzipSync(JSON.stringify({ name: 'acme/bomb', tags }));
          assert.ok(gzipped.length < 64 * 1024, `${gzipped.length} bytes on the wire`);
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gzipped.length) }).end(gzipped);
        }
        else if (url.startsWith('/v2/acme/fat/manifests/')) {
          if (req.method === 'HEAD') res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end();
          else res.writeHead(200).end(JSON.stringify({ schemaVersion: 2, annotations: { pad: 'x'.repeat(64 * 1024) } }));
        } else if (url.startsWith('/v2/acme/private/') && !req.headers.authorization) {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${registry.host}/token",service="registry"` }).end();
        } else if (url.startsWith('/token')) reply(res, 200, { token: 't'.repeat(8192) });
        else reply(res, 404, {});
      });
      const client = new RegistryClient([{ host: registry.host, insecure: true, concurrency: 4 }], undefined, small);
      await assert.rejects(call(client), (err: Error) => {
        assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
        assert.equal(err.code, 'RESPONSE_TOO_LARGE');
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
