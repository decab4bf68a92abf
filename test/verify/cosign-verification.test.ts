// verify.cosign end to end against a real docker-registry: images are signed here with node's crypto in
// cosign's formats, and the pipeline must pick only what verifies with the configured key.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pipeline } from '../../src/automation/pipeline.js';
import { runCli } from '../../src/cli.js';
import { Config } from '../../src/config/schema.js';
import { InputError, TransientError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { loadCosignPublicKey, parseCosignPublicKey } from '../../src/verify/cosign-public-key.js';
import { CosignVerifier } from '../../src/verify/cosign-verifier.js';
import { builtMain } from '../helpers/built-dist.js';
import { bundleReferrer, pushBundleReferrer, pushSignatureTag, referrersIndex, sigstoreBundle } from '../helpers/cosign-artifacts.js';
import { sha256Digest } from '../helpers/registry-push.js';
import { reply, startScriptedRegistry, type ScriptedRegistry } from '../registry/scripted-registry.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };
const ecKey = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('verify.cosign against a real registry', () => {
  let registry: TestRegistry;
  let dir: string;
  const ours = ecKey();
  const theirs = ecKey();
  let keyFile: string;

  before(async () => {
    registry = await startRegistry();
    dir = await makeTempDir('cosign');
    keyFile = join(dir, 'cosign.pub');
    // cosign generate-key-pair writes the public key as a plain SPKI "PUBLIC KEY" PEM.
    writeFileSync(keyFile, ours.publicKey.export({ type: 'spki', format: 'pem' }));
  });
  after(async () => {
    await registry?.stop();
    if (dir) await removeTempDir(dir);
  });

  function pipelineFor(repo: string, semver: string, options: { metrics?: Metrics; digest?: boolean } = {}) {
    const config = Config.parse({
      images: [{ name: 'app', repository: `${registry.host}/${repo}` }],
      policies: [{ name: 'signed', image: 'app', semver, digest: options.digest ?? false, verify: { cosign: { publicKeyFile: keyFile } } }],
      registries: [{ host: registry.host, insecure: true }],
    });
    const client = new RegistryClient(config.registries, undefined);
    return new Pipeline(config, createLogger('silent'), { registry: client, metrics: options.metrics });
  }

  async function push(repo: string, tag: string): Promise<string> {
    return (await registry.pushImage(repo, tag)).digest;
  }

  it('picks the newest signed tag and explains each newer tag it skipped (unsigned, another key, tampered)', async () => {
    const repo = 'acme/mixed';
    const name = `${registry.host}/${repo}`;
    await pushSignatureTag(registry, repo, name, await push(repo, '1.0.0'), ours.privateKey);
    await pushSignatureTag(registry, repo, name, await push(repo, '1.1.0'), theirs.privateKey);
    await pushSignatureTag(registry, repo, name, await push(repo, '1.2.0'), ours.privateKey, {
      tamper: (payload) => Buffer.from(payload.toString('utf8').replace('"optional":null', '"optional":{"evil":"yes"}')),
    });
    const other = await push(repo, '1.2.5');
    await pushSignatureTag(registry, repo, name, await push(repo, '1.3.0'), ours.privateKey, { payloadDigest: other });
    await push(repo, '2.0.0');

    const metrics = new Metrics();
    const pipeline = pipelineFor(repo, '>=1.0.0', { metrics, digest: true });
    const outcome = await pipeline.scanImage('app');
    assert.equal(outcome.failure, null);
    const status = pipeline.policies.get('signed')!;
    assert.equal(status.pick?.tag, '1.0.0');
    assert.match(status.pick?.digest ?? '', /^sha256:/);
    const skipped = Object.fromEntries((status.evaluation?.skipped ?? []).map((s) => [s.tag, s.reason]));
    assert.deepEqual(Object.keys(skipped), ['2.0.0', '1.3.0', '1.2.5', '1.2.0', '1.1.0']);
    assert.match(skipped['2.0.0']!, /no cosign signature/);
    assert.match(skipped['1.3.0']!, /signature is for another image/);
    assert.match(skipped['1.2.0']!, /does not verify with the key/);
    assert.match(skipped['1.1.0']!, /does not verify with the key/);
    const checks = (await metrics.registry.getSingleMetricAsString('tagpilot_signature_checks_total')).split('\n');
    assert.ok(checks.includes('tagpilot_signature_checks_total{policy="signed",result="unsigned"} 2'), checks.join('\n'));
    assert.ok(checks.includes('tagpilot_signature_checks_total{policy="signed",result="invalid"} 3'));
    assert.ok(checks.includes('tagpilot_signature_checks_total{policy="signed",result="verified"} 1'));
  });

  it('says why there is no pick when no candidate is signed with the key', async () => {
    const repo = 'acme/unsigned';
    await push(repo, '1.0.0');
    await pushSignatureTag(registry, repo, `${registry.host}/${repo}`, await push(repo, '1.1.0'), theirs.privateKey);
    const pipeline = pipelineFor(repo, '>=1.0.0');
    await pipeline.scanImage('app');
    const status = pipeline.policies.get('signed')!;
    assert.equal(status.pick, null);
    assert.match(status.error ?? '', /^none of the 2 candidates is signed with the cosign key \(/);
    assert.match(status.error ?? '', /1\.1\.0: the signature does not verify/);
    assert.match(status.error ?? '', /1\.0\.0: no cosign signature/);
  });

  it('accepts a Sigstore bundle attached as an OCI 1.1 referrer through the sha256-<hex> tag fallback', async () => {
    const repo = 'acme/bundled';
    const name = `${registry.host}/${repo}`;
    const good = await push(repo, '1.0.0');
    await pushBundleReferrer(registry, repo, good, 500, sigstoreBundle(name, good, ours.privateKey));
    const tampered = await push(repo, '1.1.0');
    await pushBundleReferrer(registry, repo, tampered, 500, sigstoreBundle(name, tampered, ours.privateKey, { tamper: true }));
    const foreign = await push(repo, '1.2.0');
    await pushBundleReferrer(registry, repo, foreign, 500, sigstoreBundle(name, foreign, theirs.privateKey));

    const pipeline = pipelineFor(repo, '>=1.0.0');
    const outcome = await pipeline.scanImage('app');
    assert.equal(outcome.failure, null);
    const status = pipeline.policies.get('signed')!;
    assert.equal(status.pick?.tag, '1.0.0');
    assert.deepEqual(
      status.evaluation?.skipped?.map((s) => s.tag),
      ['1.2.0', '1.1.0'],
    );
    for (const s of status.evaluation!.skipped!) assert.match(s.reason, /bundle signature does not verify with the key/);
  });

  it('tagpilot scan --cosign-key lists the tags it skipped and picks the signed one', async () => {
    const repo = 'acme/scanned';
    await pushSignatureTag(registry, repo, `${registry.host}/${repo}`, await push(repo, '1.0.0'), ours.privateKey);
    await push(repo, '1.1.0');
    const configPath = join(dir, 'scan.yaml');
    writeFileSync(configPath, `registries: [{ host: "${registry.host}", insecure: true }]\n`);
    const run = async (...extra: string[]) => {
      let out = '';
      let err = '';
      const args = ['scan', `${registry.host}/${repo}`, '--semver', '>=1.0.0', '--config', configPath, ...extra];
      const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t), env: { TAGPILOT_LOG_LEVEL: 'silent' } });
      return { code, out, err };
    };
    const json = await run('--cosign-key', keyFile, '--json');
    assert.equal(json.code, 0, json.err);
    const report = JSON.parse(json.out) as { latest: { tag: string; digest: string }; skipped: unknown };
    assert.equal(report.latest.tag, '1.0.0');
    assert.match(report.latest.digest, /^sha256:/);
    assert.deepEqual(report.skipped, [{ tag: '1.1.0', reason: 'no cosign signature' }]);
    assert.match((await run('--cosign-key', keyFile)).out, /^latest: 1\.0\.0@sha256:.*\nskipped 1\.1\.0: no cosign signature$/ms);
    assert.match((await run()).out, /^latest: 1\.1\.0@/m, 'without a key the newest tag is picked');
    const badKey = await run('--cosign-key', join(dir, 'missing.pub'));
    assert.equal(badKey.code, 2);
    assert.match(badKey.err, /missing\.pub: cannot read it/);
  });

  it('the built program (dist/, Sigstore\'s libraries bundled in it) checks a bundle: tagpilot scan --cosign-key', async () => {
    const repo = 'acme/bundled-built';
    const name = `${registry.host}/${repo}`;
    const good = await push(repo, '1.0.0');
    await pushBundleReferrer(registry, repo, good, 500, sigstoreBundle(name, good, ours.privateKey));
    const foreign = await push(repo, '1.1.0');
    await pushBundleReferrer(registry, repo, foreign, 500, sigstoreBundle(name, foreign, theirs.privateKey));
    const configPath = join(dir, 'scan-built.yaml');
    writeFileSync(configPath, `registries: [{ host: "${registry.host}", insecure: true }]\n`);
    const args = ['scan', name, '--semver', '>=1.0.0', '--cosign-key', keyFile, '--json', '--config', configPath];
    const { stdout } = await runCommand(process.execPath, [await builtMain(), ...args], { env: { PATH: process.env.PATH, TAGPILOT_LOG_LEVEL: 'silent' } });
    const report = JSON.parse(stdout) as { latest: { tag: string }; skipped: Array<{ tag: string; reason: string }> };
    assert.equal(report.latest.tag, '1.0.0');
    assert.deepEqual(report.skipped.map((s) => s.tag), ['1.1.0']);
    assert.match(report.skipped[0]!.reason, /bundle signature does not verify with the key/);
  });

  for (const [label, pair] of [
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
    ['ECDSA P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
  ] as const) {
    it(`verifies signatures made with an ${label} key, and not with another key of that kind`, async () => {
      const key = pair();
      const stranger = pair();
      const repo = `acme/${label.toLowerCase().replace(/\W/g, '')}`;
      const name = `${registry.host}/${repo}`;
      const signed = await push(repo, '1.0.0');
      await pushSignatureTag(registry, repo, name, signed, key.privateKey);
      const forged = await push(repo, '1.1.0');
      await pushSignatureTag(registry, repo, name, forged, stranger.privateKey);
      const client = new RegistryClient([{ host: registry.host, insecure: true, concurrency: 4 }]);
      const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const verifier = new CosignVerifier(client, parseCosignPublicKey(pem, label));
      assert.deepEqual(await verifier.verify(name, signed), { verified: true, via: 'signature tag' });
      assert.equal((await verifier.verify(name, forged)).verified, false);
    });
  }
});

/** A registry stand-in holding manifests and blobs in memory, with the OCI 1.1 referrers API. */
function scriptedStore(registry: ScriptedRegistry, options: { blobsFail?: boolean } = {}) {
  const manifests = new Map<string, { body: Buffer; type: string }>();
  const blobs = new Map<string, Buffer>();
  const referrers = new Map<string, Buffer>();
  const tags: string[] = [];
  const put = (reference: string, body: Buffer, type: string): string => {
    const digest = sha256Digest(body);
    manifests.set(digest, { body, type });
    manifests.set(reference, { body, type });
    return digest;
  };
  registry.script((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const [, , , , kind, reference] = url.pathname.split('/');
    if (url.pathname.endsWith('/tags/list')) return reply(res, 200, { name: 'acme/app', tags });
    if (kind === 'manifests') {
      const found = manifests.get(decodeURIComponent(reference!));
      if (!found) return reply(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN' }] });
      res.writeHead(200, { 'content-type': found.type, 'docker-content-digest': sha256Digest(found.body) });
      return void res.end(req.method === 'HEAD' ? undefined : found.body);
    }
    if (kind === 'blobs') {
      if (options.blobsFail) return void req.socket.destroy();
      const blob = blobs.get(reference!);
      return blob ? void res.writeHead(200).end(blob) : reply(res, 404, { errors: [{ code: 'BLOB_UNKNOWN' }] });
    }
    if (kind === 'referrers') {
      const index = referrers.get(reference!) ?? referrersIndex([]);
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(index);
    }
    reply(res, 404, {});
  });
  return {
    image(tag: string): string {
      tags.push(tag);
      return put(tag, Buffer.from(JSON.stringify({ schemaVersion: 2, tag })), 'application/vnd.oci.image.manifest.v1+json');
    },
    attachBundle(digest: string, bundle: Buffer): void {
      const { manifest } = bundleReferrer(digest, 100, bundle);
      put(sha256Digest(manifest), manifest, 'application/vnd.oci.image.manifest.v1+json');
      blobs.set(sha256Digest(bundle), bundle);
      referrers.set(digest, referrersIndex([manifest]));
    },
    signatureTag(tag: string, body: Buffer, blob: Buffer): void {
      put(tag, body, 'application/vnd.oci.image.manifest.v1+json');
      blobs.set(sha256Digest(blob), blob);
    },
  };
}

describe('verify.cosign against a scripted registry (referrers API, network failures)', () => {
  let registry: ScriptedRegistry;
  let dir: string;
  let keyFile: string;
  const ours = ecKey();
  before(async () => {
    registry = await startScriptedRegistry();
    dir = await makeTempDir('cosign-scripted');
    keyFile = join(dir, 'cosign.pub');
    writeFileSync(keyFile, ours.publicKey.export({ type: 'spki', format: 'pem' }));
  });
  after(async () => {
    await registry?.close();
    if (dir) await removeTempDir(dir);
  });

  function pipeline(): Pipeline {
    const config = Config.parse({
      images: [{ name: 'app', repository: `${registry.host}/acme/app` }],
      policies: [{ name: 'signed', image: 'app', semver: '>=1.0.0', verify: { cosign: { publicKeyFile: keyFile } } }],
      registries: [{ host: registry.host, insecure: true }],
    });
    const client = new RegistryClient(config.registries, undefined, { timeoutMs: 5_000 });
    return new Pipeline(config, createLogger('silent'), { registry: client });
  }

  it('finds a Sigstore bundle through GET /v2/<name>/referrers/<digest>', async () => {
    const store = scriptedStore(registry);
    const name = `${registry.host}/acme/app`;
    const signed = store.image('1.0.0');
    store.attachBundle(signed, sigstoreBundle(name, signed, ours.privateKey));
    store.image('1.1.0');
    const p = pipeline();
    assert.equal((await p.scanImage('app')).failure, null);
    assert.equal(p.policies.get('signed')!.pick?.tag, '1.0.0');
    assert.deepEqual(p.policies.get('signed')!.evaluation?.skipped, [{ tag: '1.1.0', reason: 'no cosign signature' }]);
    assert.ok(registry.requests.some((r) => r.url.startsWith(`/v2/acme/app/referrers/${signed}`)), 'the referrers API was asked');
  });

  it('a network failure while verifying fails the scan as transient, and the tag is not called unsigned', async () => {
    const store = scriptedStore(registry, { blobsFail: true });
    const name = `${registry.host}/acme/app`;
    const digest = store.image('1.0.0');
    const payload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature', identity: { 'docker-reference': name } }, optional: null }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha256Digest(payload), size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': 'AAAA' } }],
      }),
    );
    store.signatureTag(`${digest.replace(':', '-')}.sig`, manifest, payload);
    const p = pipeline();
    const outcome = await p.scanImage('app');
    assert.ok(outcome.failure instanceof TransientError, String(outcome.failure));
    const status = p.policies.get('signed')!;
    assert.equal(status.pick, null);
    assert.equal(status.evaluation, null, 'no evaluation was recorded from a failed check');
    assert.match(status.error ?? '', /failed \(ECONNRESET\)|socket hang up|ECONNRESET/);
    assert.doesNotMatch(status.error ?? '', /unsigned|not signed/);
  });
});

describe('cosign public keys', () => {
  it('refuses a private key, garbage and a missing file, naming the file and what is expected', async () => {
    const dir = await makeTempDir('cosign-keys');
    try {
      const { privateKey } = ecKey();
      const privateFile = join(dir, 'cosign.key');
      writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      assert.throws(() => loadCosignPublicKey(privateFile), (err: Error) => err instanceof InputError && /cosign\.key: this is a private key/.test(err.message));
      const garbage = join(dir, 'garbage.pub');
      writeFileSync(garbage, 'not a key');
      assert.throws(() => loadCosignPublicKey(garbage), /garbage\.pub: .*expected a PEM public key/);
      assert.throws(() => loadCosignPublicKey(join(dir, 'absent.pub')), /absent\.pub: cannot read it \(ENOENT\)/);
    } finally {
      await removeTempDir(dir);
    }
  });
});
