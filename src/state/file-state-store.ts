// The state store of a single process, in `<stateDir>/state/`. One process owns a stateDir
// (state-dir-lock.ts), so this store is the folder's only writer: it reads the folder once, holds
// every record in memory and checks versions there, so a version check and the write that follows
// cannot interleave with another writer's.
//
// On disk the records are lines of one file, `journal.jsonl`: each change is appended (the last line
// of a key wins), and the file is rewritten whole, atomically, once it has grown to several times
// what it holds. One file and appends because serve stores every image's scan and every policy's
// pick on each pass: a file per key made a start-up pass over 1,000 images create 2,000 files, which
// cost more CPU than the scans themselves (issue 18). Appends that arrive while one is being written
// go out together in the next.
//
// Only a value that changed is appended. A newer version of an unchanged value is held in memory
// only, and the journal keeps the version the value was written at. Nothing is lost by that: the
// value is the same, and versions are start times, so whatever this folder's next owner (a restart)
// stores is newer than any version it never saw.
//
// Older releases kept a file per key (`<key>.json`). Those are read when the folder is first read,
// the higher version winning over the journal's, then moved into the journal and removed.
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TransientError } from '../errors.js';
import type { StateStore, Versioned } from './state-store.js';

export const JOURNAL_FILE = 'journal.jsonl';
/** The journal is rewritten once it is this many times the size of the records it holds… */
const REWRITE_RATIO = 4;
/**
 * …and at least this large, so a small store is not rewritten every few changes. No larger: each
 * `tagpilot reconcile` reads the whole journal as it starts, and a store of one automation (tens of
 * KB) left to grow to 1 MB made most of that read dead lines (a 500 KB journal read in ~6 ms where its
 * 30 KB of live records took ~2.5).
 */
const REWRITE_MIN_BYTES = 64 * 1024;
/**
 * The journal stays open this long after the last append: a start-up pass over 1,000 images makes
 * ~900 appends a few milliseconds apart, and opening and closing the file for each cost more CPU
 * than writing it. Closed after, so a store nobody closes holds no file for long.
 */
const KEEP_OPEN_MS = 1000;

/** A key's record: its version, its value as JSON text (compared on each put), and whether the journal has that text. */
interface Held {
  version: number;
  text: string;
  saved: boolean;
}

/** A line waiting for the next append, and the put that waits for it. */
interface Pending {
  key: string;
  line: string;
  done: () => void;
  failed: (err: unknown) => void;
}

/** A StateStore in `<stateDir>/state/journal.jsonl`. */
export class FileStateStore implements StateStore {
  private readonly dir: string;
  private readonly journalPath: string;
  private readonly held = new Map<string, Held>();
  /** Settles once the folder has been read into `held`; a failed read is tried again next time. */
  private loading: Promise<void> | null = null;
  private journalBytes = 0;
  /** Bytes the records held would take as journal lines: the rewrite threshold follows it. */
  private heldBytes = 0;
  /** The journal may end in a torn line (a crash, a failed append): the next append starts a new line. */
  private tornTail = false;
  private pending: Pending[] = [];
  private appending: Promise<void> | null = null;
  /** The journal opened for appending, kept between appends that follow each other closely. */
  private journal: FileHandle | null = null;
  private closeJournalTimer: NodeJS.Timeout | null = null;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'state');
    this.journalPath = join(this.dir, JOURNAL_FILE);
  }

  async get<T>(keys: readonly string[]): Promise<Map<string, Versioned<T>>> {
    await this.load(keys[0] ?? '');
    const found = new Map<string, Versioned<T>>();
    for (const key of keys) {
      const held = this.held.get(key);
      // Parsed anew for each caller: no caller can change what another one reads.
      if (held) found.set(key, { version: held.version, value: JSON.parse(held.text) as T });
    }
    return found;
  }

  async put<T>(key: string, value: T, version: number): Promise<boolean> {
    await this.load(key);
    const stored = this.held.get(key);
    if (stored && stored.version >= version) return false;
    const text = JSON.stringify(value) ?? 'null';
    const record: Held = { version, text, saved: stored?.saved === true && stored.text === text };
    this.hold(key, record);
    if (record.saved) return true;
    await this.append(key, journalLine(key, record));
    // A later put of this key replaces the record; whether its text is in the journal is its own append's business.
    if (this.held.get(key) === record) record.saved = true;
    return true;
  }

  async close(): Promise<void> {
    await this.appending;
    await this.closeJournal();
  }

  private hold(key: string, record: Held): void {
    const before = this.held.get(key);
    if (before) this.heldBytes -= lineLength(key, before);
    this.heldBytes += lineLength(key, record);
    this.held.set(key, record);
  }

  /** Reads the folder into memory, once. */
  private load(key: string): Promise<void> {
    this.loading ??= this.read().catch((err: unknown) => {
      this.loading = null;
      this.held.clear();
      this.heldBytes = 0;
      throw err;
    });
    return this.loading.catch((err: unknown) => {
      throw new TransientError(`state in ${this.dir}: cannot read ${key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        cause: err,
        code: 'LOCAL_DISK',
      });
    });
  }

  private async read(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (names.includes(JOURNAL_FILE)) {
      const text = await readFile(this.journalPath, 'utf8');
      this.journalBytes = Buffer.byteLength(text);
      this.tornTail = text.length > 0 && !text.endsWith('\n');
      for (const line of text.split('\n')) {
        const entry = parseLine(line);
        if (entry) this.hold(entry.key, { version: entry.version, text: entry.text, saved: true });
      }
    }
    const perKey = names.filter((name) => name.endsWith('.json'));
    if (perKey.length > 0) await this.adoptPerKeyFiles(perKey);
  }

  /** Takes in an older release's files (the newer version wins), writes the journal with them and removes them. */
  private async adoptPerKeyFiles(names: string[]): Promise<void> {
    const files = await Promise.all(names.map(async (name) => ({ name, text: await readFile(join(this.dir, name), 'utf8') })));
    for (const { name, text } of files) {
      // A damaged file reads as nothing stored: it was only ever replaced whole.
      const record = parseRecord(text);
      const key = keyOfFile(name);
      const held = key === null ? undefined : this.held.get(key);
      if (record && key !== null && (!held || held.version < record.version)) this.hold(key, { version: record.version, text: record.text, saved: false });
    }
    try {
      await this.rewrite();
      await Promise.all(names.map((name) => rm(join(this.dir, name), { force: true })));
    } catch {
      // The files stay, and are read again next time; until then the records are in memory.
    }
  }

  /** Queues a line for the journal; resolves once it is written. Lines queued during an append go out in the next. */
  private append(key: string, line: string): Promise<void> {
    return new Promise((done, failed) => {
      this.pending.push({ key, line, done, failed });
      this.appending ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.closeJournalTimer) clearTimeout(this.closeJournalTimer);
    this.closeJournalTimer = null;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.write(batch.map((p) => p.line).join(''));
        for (const p of batch) p.done();
      } catch (err) {
        for (const p of batch) {
          p.failed(
            new TransientError(`state in ${this.dir}: cannot write ${p.key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
              cause: err,
              code: 'LOCAL_DISK',
            }),
          );
        }
      }
    }
    this.appending = null;
    if (this.journal) {
      this.closeJournalTimer = setTimeout(() => {
        this.closeJournalTimer = null;
        // An append starting meanwhile clears the timer first, so nothing is appending now.
        void this.closeJournal();
      }, KEEP_OPEN_MS).unref();
    }
  }

  private async write(lines: string): Promise<void> {
    if (this.journalBytes > Math.max(REWRITE_MIN_BYTES, REWRITE_RATIO * this.heldBytes)) {
      // Every record held is in the rewritten journal, these lines' included.
      await this.rewrite();
      return;
    }
    const text = this.tornTail ? `\n${lines}` : lines;
    this.tornTail = true;
    this.journal ??= await inFolder(this.journalPath, (path) => open(path, 'a'));
    try {
      await this.journal.appendFile(text);
    } catch (err) {
      // Opened afresh next time, in case the handle itself is what failed.
      await this.closeJournal();
      throw err;
    }
    this.tornTail = false;
    this.journalBytes += Buffer.byteLength(text);
  }

  private async closeJournal(): Promise<void> {
    const journal = this.journal;
    this.journal = null;
    await journal?.close().catch(() => undefined);
  }

  /** Replaces the journal with one line per record held (written aside, then renamed over it). */
  private async rewrite(): Promise<void> {
    // The handle would go on appending to the file the rename replaces.
    await this.closeJournal();
    const lines = [...this.held].map(([key, record]) => journalLine(key, record)).join('');
    const temp = `${this.journalPath}.tmp-${process.pid}`;
    await inFolder(temp, (path) => writeFile(path, lines));
    await rename(temp, this.journalPath);
    this.journalBytes = Buffer.byteLength(lines);
    this.tornTail = false;
    for (const record of this.held.values()) record.saved = true;
  }
}

/** Writes a file in the state folder, making the folder when it is missing (not checked before every write). */
async function inFolder<T>(path: string, write: (path: string) => Promise<T>): Promise<T> {
  try {
    return await write(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return await write(path);
  }
}

function journalLine(key: string, record: Held): string {
  return `{"key":${JSON.stringify(key)},"version":${JSON.stringify(record.version)},"value":${record.text}}\n`;
}

/** About journalLine()'s length, without building the line. */
function lineLength(key: string, record: Held): number {
  return key.length + record.text.length + 48;
}

/** A journal line's record; null for an empty or torn line. */
function parseLine(line: string): { key: string; version: number; text: string } | null {
  const record = line === '' ? null : parseRecord(line);
  return record && typeof record.key === 'string' ? { key: record.key, version: record.version, text: record.text } : null;
}

/** `{version, value}` (and a journal line's `key`) in a line or an older release's file; null when it is damaged. */
function parseRecord(text: string): { key?: unknown; version: number; text: string } | null {
  try {
    const parsed = JSON.parse(text) as Partial<Versioned<unknown>> & { key?: unknown };
    return typeof parsed.version === 'number' && 'value' in parsed ? { key: parsed.key, version: parsed.version, text: JSON.stringify(parsed.value) } : null;
  } catch {
    return null;
  }
}

/** The key an older release's `<key>.json` held; null for a name it cannot have written. */
function keyOfFile(name: string): string | null {
  try {
    return decodeURIComponent(name.slice(0, -'.json'.length));
  } catch {
    return null;
  }
}
