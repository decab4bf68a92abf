// Commit signing with an armored OpenPGP private key (git.signingKeyFile), or an SSH private key
// (ssh-commit-signer.ts, picked by the file's content), so that reviewers' `git verify-commit`
// accepts tagpilot's commits. SPEC §1 names no passphrase setting; a protected
// key is unlocked with, in order: the file `<signingKeyFile>.passphrase`, the file `passphrase`
// beside the key (how a Flux signing Secret with `git.asc` and `passphrase` mounts), or the
// environment variable TAGPILOT_SIGNING_PASSPHRASE.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as OpenPgp from 'openpgp';
import { InputError } from '../errors.js';
import { isSshPrivateKey, sshCommitSigner } from './ssh-commit-signer.js';

/** Signs commit payloads with one key. */
export interface CommitSigner {
  /** The signing key's fingerprint, for logs. */
  readonly fingerprint: string;
  /** A detached, armored signature (OpenPGP, or SSHSIG for an SSH key) over `payload`'s UTF-8 bytes. */
  sign(payload: string): Promise<string>;
}

export const SIGNING_PASSPHRASE_ENV = 'TAGPILOT_SIGNING_PASSPHRASE';

/** Unlocked keys by key-file content and passphrase: decrypting a key is slow on purpose (S2K). */
const unlocked = new Map<string, Promise<CommitSigner>>();

/** Reads and unlocks the key in `keyFile`; bad input (unreadable, not a key, wrong passphrase) is an InputError. */
export async function loadCommitSigner(keyFile: string, env: NodeJS.ProcessEnv = process.env): Promise<CommitSigner> {
  const armoredKey = await readFile(keyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`signingKeyFile ${keyFile}: cannot read it (${err.code ?? err.message})`, { cause: err });
  });
  const passphrase = await findPassphrase(keyFile, env);
  const id = createHash('sha256').update(armoredKey).update('\0').update(passphrase ?? '').digest('hex');
  let signer = unlocked.get(id);
  if (!signer) {
    signer = unlock(keyFile, armoredKey, passphrase);
    unlocked.set(id, signer);
    signer.catch(() => unlocked.delete(id));
  }
  return signer;
}

async function unlock(keyFile: string, armoredKey: string, passphrase: string | undefined): Promise<CommitSigner> {
  const passphraseHint = `${keyFile}.passphrase or ${SIGNING_PASSPHRASE_ENV}`;
  if (isSshPrivateKey(armoredKey)) return sshCommitSigner(keyFile, armoredKey, passphrase, passphraseHint);
  // Loaded here, not at the top: OpenPGP is a third of a one-shot `reconcile`'s code, and most
  // configs sign nothing.
  const openpgp = await import('openpgp');
  let key: OpenPgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey });
  } catch (err) {
    throw new InputError(`signingKeyFile ${keyFile}: neither an OpenSSH private key nor an armored OpenPGP private key (${(err as Error).message})`, { cause: err });
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined) {
      throw new InputError(
        `signingKeyFile ${keyFile}: the key is passphrase-protected; put the passphrase in ${passphraseHint}`,
      );
    }
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (err) {
      throw new InputError(`signingKeyFile ${keyFile}: the passphrase does not unlock the key`, { cause: err });
    }
  }
  const signingKey = key;
  return {
    fingerprint: signingKey.getFingerprint(),
    async sign(payload) {
      const message = await openpgp.createMessage({ binary: Buffer.from(payload, 'utf8') });
      return openpgp.sign({ message, signingKeys: signingKey, detached: true, format: 'armored' });
    },
  };
}

async function findPassphrase(keyFile: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const file of [`${keyFile}.passphrase`, join(dirname(keyFile), 'passphrase')]) {
    try {
      // Secrets mounted from files usually end with a newline that is not part of the passphrase.
      return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new InputError(`cannot read the signing passphrase ${file}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
      }
    }
  }
  return env[SIGNING_PASSPHRASE_ENV];
}
