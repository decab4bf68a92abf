// The memo that makes a run read ~20 blobs instead of 5,000: ids of blobs a screen found irrelevant,
// when a run read them or as a clone or fetch indexed them (GitRepositoryOptions.onBlobFetched), and
// of trees that hold only such blobs and such trees (GitRepository.listFiles marks them, and passes
// over them on later runs). An id names its content forever, so "this content holds none of these
// needles" stays true as long as the needles are the same; the memo is therefore keyed by the screen
// (the caller's description of everything relevance depends on) and thrown away when that changes.
// Only "irrelevant" is remembered: a relevant blob is always looked at again, so the memo can hide
// nothing that needs a change. A file that is unreadable or of another screen is ignored.
// For the life of one instance it also holds what the screen let through as a clone or fetch indexed
// it (keepRelevant): the blobs a run reads next, which isomorphic-git would otherwise find in the new
// pack and inflate a second time. Never saved.
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { writingLocally } from './local-disk-failure.js';
import { dirname } from 'node:path';

const FORMAT = 1;
/**
 * A listing that passed over folders cannot say which of their blobs are still present, so the memo
 * is pruned only after a complete one; once it holds this many times the ids it kept at its last
 * pruning (and a few thousand more), the next listing reads every folder (outgrown).
 */
const GROWTH_BEFORE_PRUNING = 2;
const GROWTH_SLACK = 5_000;
/**
 * The most bytes of relevant blobs one memo keeps: a run after someone else's push reads its ~20
 * changed files from here, not from the pack the fetch brought (issue 18: 8-12 ms of a warm reconcile).
 */
export const RELEVANT_BYTES_KEPT = 8 * 1024 * 1024;

/** Blob and tree ids known to be irrelevant under one screen. */
export class ScreenedBlobs {
  private dirty = false;
  /** Contents of blobs the screen let through, by id (an id names its content: a kept one never goes stale). */
  private readonly relevant = new Map<string, Uint8Array>();
  private relevantBytes = 0;

  private constructor(
    private readonly file: string,
    private readonly screen: string,
    private readonly irrelevant: Set<string>,
    /** How many ids the memo kept when it was last pruned. */
    private kept: number,
  ) {}

  /** The memo stored in `file` for `screen`, or an empty one. */
  static async load(file: string, screen: string): Promise<ScreenedBlobs> {
    let ids: string[] = [];
    let kept: number | undefined;
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as { format?: unknown; screen?: unknown; irrelevant?: unknown; kept?: unknown };
      if (stored.format === FORMAT && stored.screen === screen && Array.isArray(stored.irrelevant)) {
        // Not checked as hex: a 40-character string that is not an id equals no blob's id, so it hides
        // nothing, and the next complete listing prunes it; the regular expression cost ~1 ms of every
        // run over 5,000 ids while its code was cold (issue 18).
        ids = stored.irrelevant.filter((id): id is string => typeof id === 'string' && id.length === 40);
        if (typeof stored.kept === 'number' && Number.isSafeInteger(stored.kept) && stored.kept >= 0) kept = stored.kept;
      }
    } catch {
      // Missing or damaged: start empty; the next save writes a good one.
    }
    // A memo written before `kept` was recorded was pruned at its last save.
    return new ScreenedBlobs(file, screen, new Set(ids), kept ?? ids.length);
  }

  /** Whether the memo grew enough since its last pruning that the next listing should read every folder, so it can be pruned. */
  get outgrown(): boolean {
    return this.irrelevant.size > this.kept * GROWTH_BEFORE_PRUNING + GROWTH_SLACK;
  }

  /** Whether the blob (or the tree) is known to hold nothing the screen looks for. */
  isIrrelevant(oid: string): boolean {
    return this.irrelevant.has(oid);
  }

  /** Remembers a blob the screen found irrelevant, or a tree of such blobs and trees. */
  markIrrelevant(oid: string): void {
    if (!this.irrelevant.has(oid)) {
      this.irrelevant.add(oid);
      this.dirty = true;
    }
  }

  /** Keeps a copy of a relevant blob's content (`content` may be a view that is reused), while under RELEVANT_BYTES_KEPT. */
  keepRelevant(oid: string, content: Uint8Array): void {
    if (this.relevant.has(oid) || this.relevantBytes + content.byteLength > RELEVANT_BYTES_KEPT) return;
    // A copy: Buffer's slice() is a view, and the indexer's buffer is reused.
    this.relevant.set(oid, new Uint8Array(content));
    this.relevantBytes += content.byteLength;
  }

  /** The content keepRelevant kept for `oid`, if it did. */
  relevantContent(oid: string): Uint8Array | undefined {
    return this.relevant.get(oid);
  }

  /**
   * Writes the memo if it changed; given the ids a complete listing saw (`present`), first forgets
   * those no longer there, so the file does not grow forever.
   */
  async save(present?: ReadonlySet<string>): Promise<void> {
    if (present) {
      for (const oid of this.irrelevant) {
        if (!present.has(oid)) {
          this.irrelevant.delete(oid);
          this.dirty = true;
        }
      }
      if (this.kept !== this.irrelevant.size) this.dirty = true;
      this.kept = this.irrelevant.size;
    }
    if (!this.dirty) return;
    const temp = `${this.file}.tmp-${process.pid}`;
    await writingLocally(this.file, async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temp, JSON.stringify({ format: FORMAT, screen: this.screen, kept: this.kept, irrelevant: [...this.irrelevant] }));
      await rename(temp, this.file);
    });
    this.dirty = false;
  }
}
