// bcrypt htpasswd lines for docker-registry's htpasswd auth, which accepts only bcrypt hashes.
import { randomBytes } from 'node:crypto';
import { runCommand } from './run-command.js';

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Node has no bcrypt and `htpasswd` (apache2-utils) is not installed here, but perl is part of every
 * Debian (perl-base is Essential) and its crypt() is libxcrypt's, which does bcrypt ("$2b$"). Cost 4,
 * the minimum, because the registry checks the hash on every request and tests need speed, not strength.
 */
export async function htpasswdLine(username: string, password: string): Promise<string> {
  if (username.includes(':')) throw new Error('htpasswd user names cannot contain ":"');
  const bytes = randomBytes(22);
  // The 22nd salt character carries only 2 bits; libxcrypt rejects the ones whose unused bits are set.
  const salt = Array.from(bytes, (b, i) => (i === 21 ? '.Oeu'[b % 4] : BCRYPT_ALPHABET[b % 64])).join('');
  // Secrets go through the environment, not argv, so no quoting problems and no `ps` exposure.
  const { stdout } = await runCommand('perl', ['-e', 'print crypt($ENV{HT_PASSWORD}, $ENV{HT_SALT})'], {
    env: { ...process.env, HT_PASSWORD: password, HT_SALT: `$2b$04$${salt}` },
  });
  if (!stdout.startsWith('$2b$')) {
    throw new Error(`perl crypt() did not produce a bcrypt hash (got "${stdout}"); is libcrypt without bcrypt?`);
  }
  return `${username}:${stdout}`;
}
