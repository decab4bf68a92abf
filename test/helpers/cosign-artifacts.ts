// Writes cosign signatures the way cosign does, with node's crypto and the distribution API, so tests
// can sign images themselves. Formats: cosign's specs/SIGNATURE_SPEC.md (the `sha256-<hex>.sig` tag
// with simple-signing layers) and the Sigstore bundle v0.3 attached as an OCI 1.1 referrer, with
// the `sha256-<hex>` index tag that cosign writes where the registry has no referrers API.
import { sign, type KeyObject } from 'node:crypto';
import { expectStatus, sha256Digest, type RegistryAuthorizer } from './registry-push.js';

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';

/** Where artifacts go: a registry's base URL and the helper's authorizer. */
export interface ArtifactTarget {
  url: string;
  authorize: RegistryAuthorizer;
}

/** The hash cosign signs with for this key: none for Ed25519, SHA-256 otherwise. */
function hashFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
}

/** cosign's simple-signing payload for `repository@digest`. */
export function simpleSigningPayload(repository: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': repository },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

export interface SignatureTagOptions {
  /** Replace the payload after signing it (a tampered signature). */
  tamper?: (payload: Buffer) => Buffer;
  /** Sign a payload naming this digest instead. */
  payloadDigest?: string;
}

/** Signs `digest` with `privateKey` and pushes the `sha256-<hex>.sig` manifest; returns the signature tag. */
export async function pushSignatureTag(
  target: ArtifactTarget,
  repo: string,
  repository: string,
  digest: string,
  privateKey: KeyObject,
  options: SignatureTagOptions = {},
): Promise<string> {
  const signed = simpleSigningPayload(repository, options.payloadDigest ?? digest);
  const signature = sign(hashFor(privateKey), signed, privateKey).toString('base64');
  const payload = options.tamper ? options.tamper(signed) : signed;
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [sha256Digest(payload)] } }));
  const auth = await target.authorize(`repository:${repo}:pull,push`);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: await uploadBlob(target, repo, config, auth) },
    layers: [
      {
        mediaType: SIMPLE_SIGNING,
        size: payload.length,
        digest: await uploadBlob(target, repo, payload, auth),
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      },
    ],
  };
  const tag = `${digest.replace(':', '-')}.sig`;
  await putManifest(target, repo, tag, OCI_MANIFEST, Buffer.from(JSON.stringify(manifest)), auth);
  return tag;
}

/** DSSE's pre-authentication encoding (the bytes a DSSE signature signs). */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** A Sigstore bundle v0.3 with a DSSE envelope over an in-toto statement naming `digest`, signed with a key. */
export function sigstoreBundle(repository: string, digest: string, privateKey: KeyObject, options: { tamper?: boolean } = {}): Buffer {
  const [algorithm, hex] = digest.split(':') as [string, string];
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: repository, digest: { [algorithm]: hex } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  const sig = sign(hashFor(privateKey), preAuthEncoding(payloadType, statement), privateKey);
  const payload = options.tamper ? Buffer.from(statement.toString('utf8').replace(hex, hex.replace(/^./, (c) => (c === '0' ? '1' : '0')))) : statement;
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE,
      verificationMaterial: { publicKey: { hint: 'tagpilot-test' }, tlogEntries: [] },
      dsseEnvelope: { payload: payload.toString('base64'), payloadType, signatures: [{ sig: sig.toString('base64'), keyid: '' }] },
    }),
  );
}

/** The referrer manifest carrying `bundle` for `digest`, its bytes and digest. */
export function bundleReferrer(digest: string, subjectSize: number, bundle: Buffer): { manifest: Buffer; bundleDigest: string } {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE,
      config: { mediaType: EMPTY, size: 2, digest: sha256Digest('{}') },
      layers: [{ mediaType: BUNDLE, size: bundle.length, digest: sha256Digest(bundle) }],
      subject: { mediaType: OCI_MANIFEST, size: subjectSize, digest },
    }),
  );
  return { manifest, bundleDigest: sha256Digest(bundle) };
}

/** The referrers index listing `referrers` (manifest bytes), as the API or the fallback tag serves it. */
export function referrersIndex(referrers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: referrers.map((m) => ({ mediaType: OCI_MANIFEST, size: m.length, digest: sha256Digest(m), artifactType: BUNDLE })),
    }),
  );
}

/** Pushes a bundle referrer of `digest` and the `sha256-<hex>` tag fallback index, as cosign does without a referrers API. */
export async function pushBundleReferrer(target: ArtifactTarget, repo: string, digest: string, subjectSize: number, bundle: Buffer): Promise<void> {
  const auth = await target.authorize(`repository:${repo}:pull,push`);
  await uploadBlob(target, repo, Buffer.from('{}'), auth);
  await uploadBlob(target, repo, bundle, auth);
  const { manifest } = bundleReferrer(digest, subjectSize, bundle);
  const manifestDigest = sha256Digest(manifest);
  await putManifest(target, repo, manifestDigest, OCI_MANIFEST, manifest, auth);
  await putManifest(target, repo, digest.replace(':', '-'), OCI_INDEX, referrersIndex([manifest]), auth);
}

async function uploadBlob(target: ArtifactTarget, repo: string, blob: Buffer, authorization: string | undefined): Promise<string> {
  const digest = sha256Digest(blob);
  const headers = (extra: Record<string, string> = {}) => (authorization ? { authorization, ...extra } : extra);
  const start = await fetch(`${target.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers() });
  await expectStatus(start, 202, `start blob upload to ${repo}`);
  const location = new URL(start.headers.get('location')!, target.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: headers({ 'content-type': 'application/octet-stream' }), body: blob });
  await expectStatus(put, 201, `upload blob ${digest} to ${repo}`);
  return digest;
}

async function putManifest(target: ArtifactTarget, repo: string, reference: string, mediaType: string, body: Buffer, authorization: string | undefined): Promise<void> {
  const headers: Record<string, string> = { 'content-type': mediaType };
  if (authorization) headers.authorization = authorization;
  const put = await fetch(`${target.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers, body });
  await expectStatus(put, 201, `put manifest ${repo}:${reference}`);
}
