// cosign's OCI 1.1 form: a Sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json) attached to
// the image as a referrer. @sigstore/bundle parses it and @sigstore/verify checks its signature with our
// key; the DSSE payload must be an in-toto statement whose subject is the image digest.
import type { Bundle } from '@sigstore/bundle';
import type { TrustMaterial } from '@sigstore/verify';
import * as z from '../zod.js';
import type { CosignPublicKey } from './cosign-public-key.js';

export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The part of an in-toto statement that says what was signed. */
export const InTotoStatement = z.object({
  _type: z.string(),
  subject: z.array(z.object({ name: z.optional(z.string()), digest: z.record(z.string(), z.string()) })).check(z.minLength(1)),
  predicateType: z.string(),
});

/**
 * Null when `json` is a bundle whose DSSE envelope is signed by `key` and states `digest` as its
 * subject; else why not. Trust comes from the key alone: transparency-log entries and timestamps in
 * the bundle are not checked (there is no Rekor or TSA to trust offline), so they are set aside.
 */
export async function checkSigstoreBundle(json: unknown, key: CosignPublicKey, digest: string): Promise<string | null> {
  // Loaded when a bundle is found: most policies verify nothing, and most signatures are .sig tags.
  const [{ bundleFromJSON }, { toSignedEntity, Verifier }] = await Promise.all([import('@sigstore/bundle'), import('@sigstore/verify')]);
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    return `the Sigstore bundle is malformed (${(err as Error).message})`;
  }
  if (bundle.content.$case !== 'dsseEnvelope') return 'the Sigstore bundle holds a message signature, not a DSSE envelope over the image digest';
  if (bundle.verificationMaterial.content.$case !== 'publicKey') return 'the Sigstore bundle is signed with a certificate (keyless), not with a key';
  const envelope = bundle.content.dsseEnvelope;
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: () => ({ publicKey: key.key, validFor: () => true }),
  };
  try {
    const entity = { ...toSignedEntity(bundle), tlogEntries: [], timestamps: [] };
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
  } catch {
    return 'the bundle signature does not verify with the key (signed by another key, or the payload was changed)';
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return `the bundle payload is ${envelope.payloadType}, not an in-toto statement`;
  let statement: unknown;
  try {
    statement = JSON.parse(envelope.payload.toString('utf8'));
  } catch {
    return 'the bundle payload is not JSON';
  }
  const parsed = InTotoStatement.safeParse(statement);
  if (!parsed.success) return 'the bundle payload is not an in-toto statement';
  const [algorithm, hex] = digest.split(':') as [string, string];
  if (!parsed.data.subject.some((s) => s.digest[algorithm] === hex)) return 'the bundle signs another image';
  return null;
}
