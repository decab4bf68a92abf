// Reads OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain host patterns with
// * and ? wildcards and ! negation, hashed |1|salt|hash names (HashKnownHosts), and the @revoked
// marker. @cert-authority lines are skipped: host certificates are not supported.
import { nodeCrypto } from '../node-crypto.js';

/** One host key a known_hosts file lists for a host. */
export interface KnownHostKey {
  /** The key type as written, e.g. ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256. */
  type: string;
  /** The key blob in SSH wire format (the base64 field, decoded). */
  key: Buffer;
  revoked: boolean;
}

/** The keys `text` lists for `hostName` (as knownHostsName writes it), revoked ones included. */
export function knownHostKeys(text: string, hostName: string): KnownHostKey[] {
  const keys: KnownHostKey[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]!.startsWith('@')) marker = fields.shift();
    const [hosts, type, base64] = fields;
    if (!hosts || !type || !base64 || marker === '@cert-authority') continue;
    if (!hostsMatch(hosts, hostName)) continue;
    keys.push({ type, key: Buffer.from(base64, 'base64'), revoked: marker === '@revoked' });
  }
  return keys;
}

/** What a presented host key is, judged against the keys listed for its host. */
export type HostKeyVerdict = 'known' | 'unknown-host' | 'changed' | 'revoked';

export function judgeHostKey(listed: readonly KnownHostKey[], presented: Buffer): HostKeyVerdict {
  const same = (k: KnownHostKey) => k.key.length === presented.length && nodeCrypto().timingSafeEqual(k.key, presented);
  if (listed.some((k) => k.revoked && same(k))) return 'revoked';
  if (listed.some((k) => !k.revoked && same(k))) return 'known';
  return listed.some((k) => !k.revoked) ? 'changed' : 'unknown-host';
}

/** The key's fingerprint as `ssh-keygen -l` prints it: SHA256:<unpadded base64>. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${nodeCrypto().createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format key blob (its first string). */
export function keyBlobType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** A comma-separated pattern list matches when some pattern does and no negated one does. */
function hostsMatch(patterns: string, hostName: string): boolean {
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('|1|')) {
      if (hashedMatch(pattern, hostName)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), hostName)) return false;
    } else if (globMatch(pattern, hostName)) matched = true;
  }
  return matched;
}

/** |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
function hashedMatch(pattern: string, hostName: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = nodeCrypto().createHmac('sha1', Buffer.from(salt, 'base64')).update(hostName).digest();
  return expected.length === actual.length && nodeCrypto().timingSafeEqual(expected, actual);
}

function globMatch(pattern: string, hostName: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(hostName);
}
