// The memo that makes a run read ~20 blobs instead of 5,000: ids of blobs a screen found irrelevant,
// when a run read them or as a clone or fetch indexed them (GitRepositoryOptions.onBlobFetched). A
// blob id names its content forever, so "this content holds none of these needles" stays true as
// long as the needles are the same; the memo is therefore keyed by the screen (the caller's
// description of everything relevance depends on) and thrown away when that changes. Only
// "irrelevant" is remembered: a relevant blob is always read again, so the memo can hide nothing
// that needs a change. A file that is unreadable or of another screen is ignored.
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { writingLocally } from './local-disk-failure.js';
import { dirname } from 'node:path';

const FORMAT = 1;
const OID = /^[0-9a-f]{40}$/;

/** Blob ids known to be irrelevant under one screen. */
export class ScreenedBlobs {
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly screen: string,
    private readonly irrelevant: Set<string>,
  ) {}

  /** The memo stored in `file` for `screen`, or an empty one. */
  static async load(file: string, screen: string): Promise<ScreenedBlobs> {
    let ids: string[] = [];
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as { format?: unknown; screen?: unknown; irrelevant?: unknown };
      if (stored.format === FORMAT && stored.screen === screen && Array.isArray(stored.irrelevant)) {
        ids = stored.irrelevant.filter((id): id is string => typeof id === 'string' && OID.test(id));
      }
    } catch {
      // Missing or damaged: start empty; the next save writes a good one.
    }
    return new ScreenedBlobs(file, screen, new Set(ids));
  }

  /** Whether the blob is known to hold nothing the screen looks for. */
  isIrrelevant(oid: string): boolean {
    return this.irrelevant.has(oid);
  }

  /** Remembers a blob the screen found irrelevant. */
  markIrrelevant(oid: string): void {
    if (!this.irrelevant.has(oid)) {
      this.irrelevant.add(oid);
      this.dirty = true;
    }
  }

  /** Forgets blobs no longer in the tree (so the file does not grow forever) and writes the memo if it changed. */
  async save(present: ReadonlySet<string>): Promise<void> {
    for (const oid of this.irrelevant) {
      if (!present.has(oid)) {
        this.irrelevant.delete(oid);
        this.dirty = true;
      }
    }
    if (!this.dirty) return;
    const temp = `${this.file}.tmp-${process.pid}`;
    await writingLocally(this.file, async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temp, JSON.stringify({ format: FORMAT, screen: this.screen, irrelevant: [...this.irrelevant] }));
      await rename(temp, this.file);
    });
    this.dirty = false;
  }
}
