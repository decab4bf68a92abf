// node:crypto, loaded when first used. Loading it is ~5 ms, a twentieth of `tagpilot check` (issue
// 18), and the config check needs it only for keys some configs name: a GitHub App key, a cosign
// public key, hashed known_hosts entries.
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

let loaded: typeof Crypto | undefined;

/** node:crypto, required on the first call: config loading is synchronous, so import() will not do. */
export function nodeCrypto(): typeof Crypto {
  loaded ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto;
  return loaded;
}
