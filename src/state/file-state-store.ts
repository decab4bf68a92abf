// The state store of a single process: one JSON file per key under `<stateDir>/state/`, replaced
// atomically (write a temporary file, rename). One process owns a stateDir (state-dir-lock.ts), so
// a version check and the write that follows cannot interleave with another writer's.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TransientError } from '../errors.js';
import type { StateStore, Versioned } from './state-store.js';

/** A StateStore in files under `<stateDir>/state`. */
export class FileStateStore implements StateStore {
  private readonly dir: string;
  /** Writes of one key are chained, so two in one process cannot reorder. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'state');
  }

  async get<T>(keys: readonly string[]): Promise<Map<string, Versioned<T>>> {
    const found = new Map<string, Versioned<T>>();
    await Promise.all(
      keys.map(async (key) => {
        const stored = await this.read<T>(key);
        if (stored) found.set(key, stored);
      }),
    );
    return found;
  }

  put<T>(key: string, value: T, version: number): Promise<boolean> {
    const previous = this.writing.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const stored = await this.read<T>(key);
      if (stored && stored.version >= version) return false;
      const file = this.file(key);
      const temp = `${file}.tmp-${process.pid}`;
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFile(temp, JSON.stringify({ version, value }));
        await rename(temp, file);
      } catch (err) {
        throw new TransientError(`state in ${this.dir}: cannot write ${key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
          cause: err,
          code: 'LOCAL_DISK',
        });
      }
      return true;
    });
    const settled = next.catch(() => undefined);
    this.writing.set(key, settled);
    void settled.then(() => {
      if (this.writing.get(key) === settled) this.writing.delete(key);
    });
    return next;
  }

  async close(): Promise<void> {
    await Promise.all(this.writing.values());
  }

  private file(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}.json`);
  }

  /** The stored value; undefined when there is none. A damaged file reads as none: it is only ever rewritten whole. */
  private async read<T>(key: string): Promise<Versioned<T> | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new TransientError(`state in ${this.dir}: cannot read ${key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        cause: err,
        code: 'LOCAL_DISK',
      });
    }
    try {
      const parsed = JSON.parse(text) as Partial<Versioned<T>>;
      return typeof parsed.version === 'number' && 'value' in parsed ? (parsed as Versioned<T>) : undefined;
    } catch {
      return undefined;
    }
  }
}
