// Errors of our own files under stateDir, told apart from a broken connection: node reports both as
// an errno code, and a failed write(2) (ENOSPC) carries no path, so without this table a full disk
// read as "git server unreachable".
import { LocalDiskError } from '../errors.js';

/** Errno codes that only our own disk gives, with the words people know them by. */
const DISK_CODES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
};

const VERBS: Readonly<Record<string, string>> = {
  write: 'writing',
  open: 'opening',
  read: 'reading',
  mkdir: 'creating',
  rename: 'renaming',
  unlink: 'removing',
  rmdir: 'removing',
  rm: 'removing',
  copyfile: 'copying',
};

/** A LocalDiskError naming what failed and where, or undefined when `err` is not a local disk error. */
export function localDiskFailure(err: unknown): LocalDiskError | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, syscall, path } = err as NodeJS.ErrnoException;
  const words = code === undefined ? undefined : DISK_CODES[code];
  if (words === undefined) return undefined;
  const verb = (syscall && VERBS[syscall]) ?? 'using';
  return new LocalDiskError(`local disk: ${words} ${verb} ${path ?? 'a file in stateDir'}`, { cause: err });
}

/** Names `path` on a disk error that lacks one (a failed write(2) does), so the message can say which file. */
export function withPath<T>(path: string, work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => {
    const errno = err as NodeJS.ErrnoException;
    if (err instanceof Error && errno.code !== undefined && errno.code in DISK_CODES && errno.path === undefined) errno.path = path;
    throw err;
  });
}

/** Runs a write of our own under stateDir; a disk failure comes out as a LocalDiskError naming `path`. */
export async function writingLocally<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await withPath(path, work());
  } catch (err) {
    throw localDiskFailure(err) ?? err;
  }
}
