// SSH commit signatures, as git makes them with gpg.format=ssh (`ssh-keygen -Y sign -n git`): the
// SSHSIG format of OpenSSH's PROTOCOL.sshsig, namespace "git", message hashed with SHA-512.
// https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.sshsig
// ssh2 reads the key file (OpenSSH and PEM formats, encrypted or not); node's crypto signs.
import { createHash, sign, type KeyObject, createPrivateKey } from 'node:crypto';
import { InputError } from '../errors.js';
import type { CommitSigner } from './commit-signer.js';
import { sshFingerprint } from './known-hosts.js';

const MAGIC = Buffer.from('SSHSIG');
const NAMESPACE = 'git';
const HASH = 'sha512';

/** How each key type signs: the signature's algorithm name, node's digest, and the raw signature's SSH encoding. */
const SCHEMES: Record<string, { algorithm: string; digest: string | null; encode: (raw: Buffer) => Buffer }> = {
  'ssh-ed25519': { algorithm: 'ssh-ed25519', digest: null, encode: (raw) => raw },
  // ssh-keygen refuses SHA-1 "ssh-rsa" signatures in SSHSIG; rsa-sha2-512 is what it writes.
  'ssh-rsa': { algorithm: 'rsa-sha2-512', digest: 'sha512', encode: (raw) => raw },
  'ecdsa-sha2-nistp256': { algorithm: 'ecdsa-sha2-nistp256', digest: 'sha256', encode: ecdsaSignature },
  'ecdsa-sha2-nistp384': { algorithm: 'ecdsa-sha2-nistp384', digest: 'sha384', encode: ecdsaSignature },
  'ecdsa-sha2-nistp521': { algorithm: 'ecdsa-sha2-nistp521', digest: 'sha512', encode: ecdsaSignature },
};

/** True when `text` is an SSH private key (OpenSSH format, or the PEM forms ssh-keygen also reads). */
export function isSshPrivateKey(text: string): boolean {
  return /-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----/.test(text);
}

/** A signer for the SSH private key `keyText` from `keyFile`; bad input (not a key, locked, unsupported type) is an InputError. */
export async function sshCommitSigner(keyFile: string, keyText: string, passphrase: string | undefined, passphraseHint: string): Promise<CommitSigner> {
  const { default: ssh2 } = await import('ssh2');
  const parsed = ssh2.utils.parseKey(keyText, passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    const message = key instanceof Error ? key.message : 'no key in the file';
    if (/passphrase/i.test(message) && passphrase === undefined) {
      throw new InputError(`signingKeyFile ${keyFile}: the key is passphrase-protected; put the passphrase in ${passphraseHint}`);
    }
    throw new InputError(`signingKeyFile ${keyFile}: not a usable SSH private key: ${message}`);
  }
  const scheme = SCHEMES[key.type];
  if (!scheme) throw new InputError(`signingKeyFile ${keyFile}: cannot sign with a ${key.type} key; use an ed25519, RSA or ECDSA key`);
  const publicKey = key.getPublicSSH();
  const privateKey: KeyObject = createPrivateKey(key.getPrivatePEM());
  return {
    fingerprint: sshFingerprint(publicKey),
    async sign(payload) {
      const digest = createHash(HASH).update(payload, 'utf8').digest();
      const signed = Buffer.concat([MAGIC, sshString(NAMESPACE), sshString(''), sshString(HASH), sshString(digest)]);
      const raw = sign(scheme.digest, signed, scheme.digest === null ? privateKey : { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const signature = Buffer.concat([sshString(scheme.algorithm), sshString(scheme.encode(raw))]);
      const blob = Buffer.concat([
        MAGIC,
        uint32(1),
        sshString(publicKey),
        sshString(NAMESPACE),
        sshString(''),
        sshString(HASH),
        sshString(signature),
      ]);
      return armor(blob);
    },
  };
}

/** ssh-keygen's armor: base64 in lines of 70. */
function armor(blob: Buffer): string {
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? [];
  return ['-----BEGIN SSH SIGNATURE-----', ...lines, '-----END SSH SIGNATURE-----', ''].join('\n');
}

/** ECDSA's r||s (node's ieee-p1363 form) as the SSH encoding: two mpints in a string. */
function ecdsaSignature(raw: Buffer): Buffer {
  const half = raw.length / 2;
  return Buffer.concat([sshString(mpint(raw.subarray(0, half))), sshString(mpint(raw.subarray(half)))]);
}

/** RFC 4251 mpint of an unsigned big-endian number: no leading zero bytes, one added when the top bit is set. */
function mpint(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  const trimmed = value.subarray(start);
  return trimmed.length > 0 && trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
