// cosign's classic signature (cosign's SIGNATURE_SPEC.md): the tag `sha256-<hex>.sig` holds an OCI
// image manifest whose layers are simple-signing payloads; each layer's annotation
// `dev.cosignproject.cosign/signature` is the base64 signature of that payload's bytes.
import { verify } from 'node:crypto';
import * as z from '../zod.js';
import type { CosignPublicKey } from './cosign-public-key.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** The signature manifest, as far as verification reads it. */
export const SignatureManifest = z.object({
  layers: z.array(
    z.object({
      mediaType: z.string(),
      digest: z.string(),
      size: z.optional(z.int().check(z.nonnegative())),
      annotations: z.optional(z.record(z.string(), z.string())),
    }),
  ),
});
export type SignatureManifest = z.output<typeof SignatureManifest>;

/** The payload: what is signed is the digest in `critical.image`. */
export const SimpleSigningPayload = z.object({
  critical: z.object({
    identity: z.optional(z.object({ 'docker-reference': z.string() })),
    image: z.object({ 'docker-manifest-digest': z.string() }),
    type: z.literal('cosign container image signature'),
  }),
  optional: z.nullish(z.record(z.string(), z.unknown())),
});
export type SimpleSigningPayload = z.output<typeof SimpleSigningPayload>;

/** Null when `signature` (base64) signs `payload` with `key` and the payload names `digest`; else why not. */
export function checkSimpleSigning(payload: Buffer, signature: string, key: CosignPublicKey, digest: string): string | null {
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length === 0) return 'the signature annotation is empty';
  let valid: boolean;
  try {
    valid = verify(key.hash, payload, key.key, bytes);
  } catch {
    valid = false;
  }
  if (!valid) return 'the signature does not verify with the key (signed by another key, or the payload was changed)';
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the signed payload is not JSON';
  }
  const parsed = SimpleSigningPayload.safeParse(json);
  if (!parsed.success) return 'the signed payload is not a cosign simple-signing payload';
  const signed = parsed.data.critical.image['docker-manifest-digest'];
  if (signed !== digest) return `the signature is for another image (${signed})`;
  return null;
}
