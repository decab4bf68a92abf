// One CosignVerifier per public key file, so policies that share a key share its verdict cache.
import type { PolicyConfig } from '../config/schema.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { loadCosignPublicKey } from './cosign-public-key.js';
import { CosignVerifier } from './cosign-verifier.js';
import { policyId } from '../update/policy-id.js';

/** policy id (NS:NAME, or NAME) → its verifier, for the policies with verify.cosign. Throws InputError on an unreadable key. */
export function cosignVerifiers(policies: readonly PolicyConfig[], registry: RegistryClient): Map<string, CosignVerifier> {
  const byFile = new Map<string, CosignVerifier>();
  const byPolicy = new Map<string, CosignVerifier>();
  for (const policy of policies) {
    const file = policy.verify?.cosign.publicKeyFile;
    if (file === undefined) continue;
    let verifier = byFile.get(file);
    if (!verifier) byFile.set(file, (verifier = new CosignVerifier(registry, loadCosignPublicKey(file))));
    byPolicy.set(policyId(policy), verifier);
  }
  return byPolicy;
}
