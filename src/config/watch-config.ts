// Tells `serve` when its config changed on disk, however it was changed. Editors and `sed -i` write a
// new file and rename it over the old one; a Kubernetes ConfigMap volume swaps a `..data` symlink to
// a new folder; a config folder gains a new *.yaml file. A watch on the file itself follows the old
// inode and goes deaf after the first rename, so the folder is watched instead (the file's folder, or
// the config folder itself), every event there is debounced, and a change is reported only when the
// config's content differs from the last one seen: editor swap files and unrelated files stay quiet.
// A folder that is replaced or removed is watched again once it is back.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Events closer together than this are one change (a rename follows its temp file's writes). */
export const CONFIG_DEBOUNCE_MS = 200;
/** How often a watch whose folder went away tries to come back. */
const REARM_MS = 1_000;

/** A running watch; close() ends it. */
export interface ConfigWatch {
  close(): void;
}

/** Where the watch reports; a subset of pino's logger. */
interface WatchLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Calls `onChange` after the config at `configPath` (a file, or a folder of *.yaml files) changed
 * content. Calls are not overlapped by the watch; `onChange` serialises its own work.
 */
export function watchConfig(configPath: string, onChange: () => void, log: WatchLogger): ConfigWatch {
  const target = resolve(configPath);
  const folder = isDirectory(target) ? target : dirname(target);
  let seen = fingerprint(target);
  let watcher: FSWatcher | null = null;
  let armedIno: number | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let rearm: NodeJS.Timeout | null = null;
  let closed = false;

  const check = (): void => {
    debounce = null;
    if (closed) return;
    // The folder itself was replaced (or removed): the watch is on the old one.
    if (folderIno(folder) !== armedIno) arm();
    const now = fingerprint(target);
    if (now === seen) return;
    seen = now;
    onChange();
  };

  const schedule = (): void => {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(check, CONFIG_DEBOUNCE_MS);
  };

  function arm(): void {
    watcher?.close();
    watcher = null;
    if (rearm) clearTimeout(rearm);
    rearm = null;
    if (closed) return;
    try {
      armedIno = folderIno(folder);
      watcher = watch(folder, { persistent: false }, schedule);
      watcher.on('error', (err) => {
        log.warn({ folder, err: err.message }, 'config watch failed; watching again');
        retryLater();
      });
    } catch (err) {
      log.warn({ folder, err: (err as Error).message }, 'cannot watch the config folder; trying again (SIGHUP reloads meanwhile)');
      retryLater();
    }
  }

  function retryLater(): void {
    watcher?.close();
    watcher = null;
    armedIno = null;
    if (closed || rearm) return;
    rearm = setTimeout(() => {
      rearm = null;
      arm();
      // Whatever changed while nobody watched.
      schedule();
    }, REARM_MS);
    rearm.unref();
  }

  arm();
  return {
    close() {
      closed = true;
      watcher?.close();
      if (debounce) clearTimeout(debounce);
      if (rearm) clearTimeout(rearm);
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function folderIno(folder: string): number | null {
  try {
    return statSync(folder).ino;
  } catch {
    return null;
  }
}

/**
 * The config's content as loadConfig would read it, through symlinks: a folder's *.yaml and *.yml
 * files by name, or the one file. An unreadable config has a fingerprint too, so its repair is a change.
 */
function fingerprint(target: string): string {
  const hash = createHash('sha256');
  try {
    if (isDirectory(target)) {
      for (const name of readdirSync(target).filter((n) => /\.ya?ml$/.test(n)).sort()) {
        hash.update(`${name}\0`);
        hash.update(readOrMissing(join(target, name)));
        hash.update('\0');
      }
    } else {
      hash.update(basename(target));
      hash.update(readOrMissing(target));
    }
  } catch (err) {
    hash.update(`unreadable: ${(err as NodeJS.ErrnoException).code ?? ''}`);
  }
  return hash.digest('hex');
}

function readOrMissing(file: string): Buffer | string {
  try {
    return readFileSync(file);
  } catch (err) {
    return `missing: ${(err as NodeJS.ErrnoException).code ?? ''}`;
  }
}
