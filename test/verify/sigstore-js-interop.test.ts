// Interoperability: a Sigstore bundle built by sigstore-js (@sigstore/sign, with a key instead of
// Fulcio) and attached to the image by @sigstore/oci — the library behind GitHub's attest action,
// which writes the referrer and, on a registry without the referrers API, the sha256-<hex> index tag
// — verifies with tagpilot's verify.cosign against a real docker-registry. (No cosign binary is
// packaged for Debian or npm, so this is the independent producer we can run here.)
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bundleToJSON } from '@sigstore/bundle';
import { attachArtifactToImage } from '@sigstore/oci';
import { DSSEBundleBuilder, type Signer } from '@sigstore/sign';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { parseCosignPublicKey } from '../../src/verify/cosign-public-key.js';
import { CosignVerifier } from '../../src/verify/cosign-verifier.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';

const USER = 'signer';
const PASSWORD = 'signer-password';

describe('bundles from sigstore-js', () => {
  let registry: TestRegistry;
  before(async () => (registry = await startRegistry({ auth: { kind: 'htpasswd', username: USER, password: PASSWORD } })));
  after(async () => registry?.stop());

  it('a key-signed DSSE bundle attached by @sigstore/oci verifies; one for another digest, or by another key, does not', async () => {
    const ours = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const theirs = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = (key: typeof ours): Signer => ({
      sign: async (data) => ({
        signature: sign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(), hint: 'ci' },
      }),
    });
    const name = `${registry.host}/acme/interop`;
    const attach = async (digest: string, subjectDigest: string, key: typeof ours) => {
      const [algorithm, hex] = subjectDigest.split(':') as [string, string];
      const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name, digest: { [algorithm]: hex } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} };
      const bundle = await new DSSEBundleBuilder({ signer: signer(key), witnesses: [] }).create({ data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' });
      await attachArtifactToImage({
        imageName: name,
        imageDigest: digest,
        artifact: Buffer.from(JSON.stringify(bundleToJSON(bundle))),
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        credentials: { username: USER, password: PASSWORD },
      });
    };
    const signed = (await registry.pushImage('acme/interop', '1.0.0')).digest;
    const other = (await registry.pushImage('acme/interop', '1.1.0')).digest;
    const foreign = (await registry.pushImage('acme/interop', '1.2.0')).digest;
    await attach(signed, signed, ours);
    await attach(other, signed, ours);
    await attach(foreign, foreign, theirs);

    const client = new RegistryClient([{ host: registry.host, insecure: true, concurrency: 4, auth: { username: USER, password: PASSWORD } }]);
    const verifier = new CosignVerifier(client, parseCosignPublicKey(ours.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'ours'));
    assert.deepEqual(await verifier.verify(name, signed), { verified: true, via: 'referrer' });
    assert.deepEqual(await verifier.verify(name, other), { verified: false, kind: 'invalid', reason: 'the bundle signs another image' });
    const byOther = await verifier.verify(name, foreign);
    assert.equal(byOther.verified, false);
    assert.match((byOther as { reason: string }).reason, /does not verify with the key/);
  });
});
