// Does the registry hold a cosign signature of this digest that verifies with the policy's key? Looks
// in both places cosign writes one: the `sha256-<hex>.sig` tag, and OCI 1.1 referrers carrying a
// Sigstore bundle (through the referrers API, or its `sha256-<hex>` tag fallback). Registry failures
// propagate unchanged (a network error is transient, never "unsigned"); verdicts are cached by digest.
import * as z from '../zod.js';
import { InputError, NotFoundError } from '../errors.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { CosignPublicKey } from './cosign-public-key.js';
import { checkSigstoreBundle, SIGSTORE_BUNDLE_MEDIA_TYPE } from './sigstore-bundle.js';
import { checkSimpleSigning, SIGNATURE_ANNOTATION, SignatureManifest, SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

/** The outcome for one digest: verified, or why not (`unsigned`: no signature at all; `invalid`: none verifies). */
export type Verdict = { verified: true; via: 'signature tag' | 'referrer' } | { verified: false; kind: 'unsigned' | 'invalid'; reason: string };

// cosign writes OCI manifests; a registry that converts them (or an old cosign) may store Docker's.
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Verdicts kept per verifier; digests never change meaning, so the oldest is simply dropped. */
const CACHE_LIMIT = 10_000;
/** Payloads and bundles are a few KiB; anyone who can push could otherwise make us download gigabytes. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;
/** Signature layers or referrers checked per digest: a registry full of junk signatures must not stall a scan. */
const MAX_SIGNATURES = 16;

const ReferrersIndex = z.object({
  manifests: z._default(z.array(z.object({ digest: z.string(), mediaType: z.optional(z.string()), artifactType: z.optional(z.string()) })), []),
});

const RegistryJson = z.pipe(
  z.string(),
  z.transform((text: string, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: 'not JSON', input: text });
      return z.NEVER;
    }
  }),
);

/** Verifies cosign signatures of image digests with one public key. */
export class CosignVerifier {
  private readonly cache = new Map<string, Verdict>();

  constructor(
    private readonly registry: Pick<RegistryClient, 'getManifest' | 'getBlob' | 'getReferrers'>,
    readonly key: CosignPublicKey,
  ) {}

  /** The verdict for `repository@digest`; throws what the registry threw (transient or not), never caches it. */
  async verify(repository: string, digest: string): Promise<Verdict> {
    const cacheKey = `${repository}@${digest}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const verdict = await this.check(repository, digest);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(cacheKey, verdict);
    return verdict;
  }

  private async check(repository: string, digest: string): Promise<Verdict> {
    const problems: string[] = [];
    const classic = await this.checkSignatureTag(repository, digest, problems);
    if (classic) return classic;
    const referrer = await this.checkReferrers(repository, digest, problems);
    if (referrer) return referrer;
    if (problems.length === 0) return { verified: false, kind: 'unsigned', reason: 'no cosign signature' };
    return { verified: false, kind: 'invalid', reason: [...new Set(problems)].join('; ') };
  }

  private async checkSignatureTag(repository: string, digest: string, problems: string[]): Promise<Verdict | null> {
    const tag = `${digest.replace(':', '-')}.sig`;
    const manifest = await this.registry.getManifest(repository, tag, OCI_MANIFEST);
    if (!manifest) return null;
    const parsed = z.pipe(RegistryJson, SignatureManifest).safeParse(manifest.body.toString('utf8'));
    if (!parsed.success) {
      problems.push(`${tag} is not a cosign signature manifest`);
      return null;
    }
    const layers = parsed.data.layers.filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE).slice(0, MAX_SIGNATURES);
    if (layers.length === 0) problems.push(`${tag} holds no simple-signing layer`);
    for (const layer of layers) {
      const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
      if (!signature) {
        problems.push(`a layer of ${tag} has no ${SIGNATURE_ANNOTATION} annotation`);
        continue;
      }
      const payload = await this.blob(repository, layer, problems);
      if (!payload) continue;
      const problem = checkSimpleSigning(payload, signature, this.key, digest);
      if (problem === null) return { verified: true, via: 'signature tag' };
      problems.push(problem);
    }
    return null;
  }

  private async checkReferrers(repository: string, digest: string, problems: string[]): Promise<Verdict | null> {
    // Registries without the referrers API answer 404; cosign then keeps the index under a tag.
    const body =
      (await this.registry.getReferrers(repository, digest, SIGSTORE_BUNDLE_MEDIA_TYPE)) ??
      (await this.registry.getManifest(repository, digest.replace(':', '-'), OCI_INDEX))?.body;
    if (!body) return null;
    const index = z.pipe(RegistryJson, ReferrersIndex).safeParse(body.toString('utf8'));
    if (!index.success) {
      problems.push('the referrers index is malformed');
      return null;
    }
    // A registry may ignore the artifactType filter (it says so in OCI-Filters-Applied); filter again here.
    const bundles = index.data.manifests.filter((m) => m.artifactType === SIGSTORE_BUNDLE_MEDIA_TYPE).slice(0, MAX_SIGNATURES);
    for (const descriptor of bundles) {
      const manifest = await this.registry.getManifest(repository, descriptor.digest, OCI_MANIFEST);
      if (!manifest) continue;
      const parsed = z.pipe(RegistryJson, SignatureManifest).safeParse(manifest.body.toString('utf8'));
      const layer = parsed.success ? parsed.data.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_MEDIA_TYPE) : undefined;
      if (!layer) {
        problems.push(`referrer ${descriptor.digest} holds no Sigstore bundle`);
        continue;
      }
      const blob = await this.blob(repository, layer, problems);
      if (!blob) continue;
      const json = RegistryJson.safeParse(blob.toString('utf8'));
      const problem = json.success ? await checkSigstoreBundle(json.data, this.key, digest) : 'the Sigstore bundle is not JSON';
      if (problem === null) return { verified: true, via: 'referrer' };
      problems.push(problem);
    }
    return null;
  }

  /** A signature blob, or null (and a problem) when it is too large, missing or corrupt: that is a bad signature, not an outage. */
  private async blob(repository: string, layer: { digest: string; size?: number | undefined }, problems: string[]): Promise<Buffer | null> {
    const { digest } = layer;
    if (layer.size === undefined || layer.size > MAX_SIGNATURE_BYTES) {
      problems.push(`signature blob ${digest} is ${layer.size === undefined ? 'of unknown size' : `${layer.size} bytes`}; at most ${MAX_SIGNATURE_BYTES} are read`);
      return null;
    }
    try {
      return await this.registry.getBlob(repository, digest);
    } catch (err) {
      if (!(err instanceof NotFoundError || (err instanceof InputError && err.code === 'BAD_INPUT'))) throw err;
      problems.push(`signature blob ${digest} is missing or corrupt`);
      return null;
    }
  }
}
