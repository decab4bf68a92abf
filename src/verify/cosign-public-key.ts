// The public key of verify.cosign.publicKeyFile: a PEM as `cosign generate-key-pair` writes it (a plain
// `PUBLIC KEY` block for ECDSA P-256), or an RSA or Ed25519 public key.
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { nodeCrypto } from '../node-crypto.js';
import { InputError } from '../errors.js';

/** A key ready to verify cosign signatures, with the hash its signatures are made over. */
export interface CosignPublicKey {
  key: KeyObject;
  /** Digest for crypto.verify: sha256 (cosign's default for RSA and ECDSA keys), null for Ed25519. */
  hash: string | null;
  /** sha256 of the key's DER, to tell keys apart in caches and messages. */
  fingerprint: string;
}

// cosign loads verification keys with SHA-256 as the hash whatever the curve; generate-key-pair makes P-256.
const CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** Reads and parses `file`; InputError naming the file and the fix when it is not a usable public key. */
export function loadCosignPublicKey(file: string): CosignPublicKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`verify.cosign.publicKeyFile ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseCosignPublicKey(pem, file);
}

/** Parses a PEM public key; `source` names it in errors. */
export function parseCosignPublicKey(pem: string, source: string): CosignPublicKey {
  const fix = 'expected a PEM public key (cosign.pub from `cosign generate-key-pair`, or an RSA or Ed25519 "PUBLIC KEY")';
  if (/PRIVATE KEY-----/.test(pem)) throw new InputError(`verify.cosign.publicKeyFile ${source}: this is a private key; ${fix}`);
  let key: KeyObject;
  try {
    key = nodeCrypto().createPublicKey(pem);
  } catch (err) {
    throw new InputError(`verify.cosign.publicKeyFile ${source}: ${(err as Error).message}; ${fix}`);
  }
  let hash: string | null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    if (!CURVES.has(curve)) throw new InputError(`verify.cosign.publicKeyFile ${source}: unsupported curve ${curve}; ${fix}`);
    hash = 'sha256';
  } else if (key.asymmetricKeyType === 'rsa') hash = 'sha256';
  else if (key.asymmetricKeyType === 'ed25519') hash = null;
  else throw new InputError(`verify.cosign.publicKeyFile ${source}: unsupported key type ${key.asymmetricKeyType}; ${fix}`);
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, hash, fingerprint: nodeCrypto().createHash('sha256').update(der).digest('hex') };
}
