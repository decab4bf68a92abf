// One process owns a stateDir at a time (SPEC §7): two processes sharing clones, the branch history
// record and the file state store would race each other's writes. `serve`, `reconcile` and `plan`
// hold `<stateDir>/tagpilot.lock`, a small JSON file saying who holds it.
//
// A holder that died must not keep the lock, and a crash leaves the file behind, so the file is only
// a claim that is checked:
//  - same host: the holder is alive while its pid is (signal 0). Our own pid in the file is a previous
//    life of this container (every container's first process is pid 1), so it does not count;
//  - another host (a volume shared between machines), where pids mean nothing: the holder touches the
//    file every HEARTBEAT_MS, and a file untouched for STALE_MS is a dead holder's.
// The file is created complete in one step (written aside, then hard-linked into place, which fails
// if a lock is there, also on NFS), so a reader never sees half a claim. A stale lock is taken over by
// renaming it away first: of two processes taking over at once only one rename succeeds.
import { hostname } from 'node:os';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as z from '../zod.js';
import { InputError } from '../errors.js';

/** The holder touches its lock this often, for processes on other hosts that share the volume. */
export const HEARTBEAT_MS = 5_000;
/** A lock from another host untouched for this long is a dead holder's: six missed heartbeats. */
export const STALE_MS = 30_000;
export const LOCK_FILE = 'tagpilot.lock';

/** What the lock file says about its holder. */
export const LockHolder = z.object({
  pid: z.int(),
  hostname: z.string(),
  startedAt: z.string(),
  command: z.string(),
  /** Tells our own lock from a later holder's when releasing. */
  token: z.string(),
});
export type LockHolder = z.infer<typeof LockHolder>;

/** A held lock; release() removes the file if it is still ours. */
export interface StateDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): void;
}

/** Where the system answers questions about hosts and processes; tests replace it. */
export interface LockEnvironment {
  pid: number;
  hostname: string;
  now(): number;
  /** False when no process has this pid. */
  isAlive(pid: number): boolean;
}

const systemEnvironment: LockEnvironment = {
  pid: process.pid,
  hostname: hostname(),
  now: Date.now,
  isAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: alive, and someone else's.
      return (err as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  },
};

/**
 * Takes the lock of `stateDir` for `command`, or throws an InputError naming the holder. The
 * heartbeat timer does not keep the process alive.
 */
export function acquireStateDirLock(stateDir: string, command: string, env: LockEnvironment = systemEnvironment): StateDirLock {
  const dir = resolve(stateDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: env.pid,
    hostname: env.hostname,
    startedAt: new Date(env.now()).toISOString(),
    command,
    token: randomBytes(8).toString('hex'),
  };
  // Bounded: each turn either takes the lock, finds a live holder, or removes a dead one.
  for (let turn = 0; turn < 5; turn++) {
    if (createExclusive(path, holder)) return heldLock(path, holder);
    const current = readHolder(path);
    if (current === 'gone') continue;
    const verdict = judge(path, current, env);
    if (verdict === 'alive' && current !== 'unreadable') {
      throw new InputError(
        `stateDir ${dir} is in use by pid ${current.pid} on host ${current.hostname} (tagpilot ${current.command}, since ${current.startedAt}); ` +
          `stop that process, or give this one another stateDir`,
        { code: 'STATE_DIR_LOCKED' },
      );
    }
    if (verdict === 'alive') {
      throw new InputError(`stateDir ${dir} is in use: ${path} is being written by another process; try again`, { code: 'STATE_DIR_LOCKED' });
    }
    takeOver(path, current);
  }
  throw new InputError(`stateDir ${dir}: cannot take ${path}: other processes keep claiming it`, { code: 'STATE_DIR_LOCKED' });
}

/** Writes the claim aside and links it into place: false when a lock is already there. */
function createExclusive(path: string, holder: LockHolder): boolean {
  const aside = `${path}.${holder.token}`;
  writeFileSync(aside, `${JSON.stringify(holder)}\n`);
  try {
    linkSync(aside, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(aside);
  }
}

function readHolder(path: string): LockHolder | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const parsed = LockHolder.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether the holder in the file still runs. A file we cannot read is judged by its age alone. */
function judge(path: string, holder: LockHolder | 'unreadable', env: LockEnvironment): 'alive' | 'dead' {
  if (holder !== 'unreadable' && holder.hostname === env.hostname) {
    return holder.pid !== env.pid && env.isAlive(holder.pid) ? 'alive' : 'dead';
  }
  let touchedAt: number;
  try {
    touchedAt = statSync(path).mtimeMs;
  } catch {
    return 'dead';
  }
  return env.now() - touchedAt < STALE_MS ? 'alive' : 'dead';
}

/**
 * Moves a dead holder's lock out of the way. Another process may have done so and claimed the lock
 * in between: then the file we moved is not the one we judged, and it goes back.
 */
function takeOver(path: string, dead: LockHolder | 'unreadable'): void {
  const moved = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, moved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const was = readHolder(moved);
  const same = dead === 'unreadable' ? was === 'unreadable' : was !== 'unreadable' && was !== 'gone' && was.token === dead.token;
  if (!same) {
    try {
      linkSync(moved, path);
    } catch {
      // Someone claimed it again meanwhile; their claim stands and the moved one is lost with its holder's heartbeat.
    }
  }
  unlinkSync(moved);
}

function heldLock(path: string, holder: LockHolder): StateDirLock {
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // The next beat tries again; a lock file someone removed is re-checked by nobody, which is theirs to answer for.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.off('exit', release);
    const current = readHolder(path);
    if (current !== 'gone' && current !== 'unreadable' && current.token === holder.token) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone.
      }
    }
  };
  // process.exit() skips `finally` blocks; an exit handler still runs (a signal's default action does not, and a dead pid is judged dead anyway).
  process.on('exit', release);
  return { path, holder, release };
}
