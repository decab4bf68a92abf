// Fires each image's scan on its interval. node-cron ticks every second and we check what is due,
// so any interval (90s, 1h30m) works, not only those a cron expression can say; each image gets a
// random offset so hundreds of images on one interval do not all fire in the same second. What is due
// is kept in a min-heap by time, so a tick looks only at the entries it fires, not at all of them
// (1,000 images: a walk over every entry each second was ~4% of serve's CPU in an interval, issue 18).
import { schedule, type ScheduledTask } from 'node-cron';

/** Something to run every `intervalMs`; 0 means never (webhooks only). */
export interface ScheduleEntry {
  key: string;
  intervalMs: number;
}

/** Calls `fire(key)` for each entry on its interval, first after a random part of it. */
export class Scheduler {
  private task: ScheduledTask | null = null;
  /** When each scheduled entry fires next, by its index in `entries`. */
  private readonly dueAt: number[] = [];
  /** Indexes of the scheduled entries (one per key), ordered as a binary min-heap by `dueAt`. */
  private readonly heap: number[] = [];
  private readonly indexOf = new Map<string, number>();

  constructor(
    private readonly entries: readonly ScheduleEntry[],
    private readonly fire: (key: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    const start = this.now();
    entries.forEach((entry, index) => {
      if (entry.intervalMs <= 0 || this.indexOf.has(entry.key)) return;
      this.indexOf.set(entry.key, index);
      this.dueAt[index] = start + Math.floor(Math.random() * entry.intervalMs);
      this.push(index);
    });
  }

  /** Starts ticking. */
  start(): void {
    this.task = schedule('* * * * * *', () => this.tick(), { noOverlap: true });
  }

  /** Fires every entry that is due, in the entries' order; exposed so tests can drive time. */
  tick(): void {
    const now = this.now();
    const due: number[] = [];
    while (this.heap.length > 0 && this.dueAt[this.heap[0]!]! <= now) due.push(this.pop());
    if (due.length > 1) due.sort((a, b) => a - b);
    for (let i = 0; i < due.length; i++) {
      const index = due[i]!;
      this.dueAt[index] = now + this.entries[index]!.intervalMs;
      this.push(index);
      try {
        this.fire(this.entries[index]!.key);
      } catch (err) {
        // The rest fire on the next tick, as they would have had this one not been cut short.
        for (const rest of due.slice(i + 1)) this.push(rest);
        throw err;
      }
    }
  }

  /** When `key` fires next; null when it has no interval (webhooks only) or is unknown. */
  nextRun(key: string): Date | null {
    const index = this.indexOf.get(key);
    return index === undefined ? null : new Date(this.dueAt[index]!);
  }

  /** Stops ticking. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = null;
  }

  private push(index: number): void {
    const { heap, dueAt } = this;
    let at = heap.push(index) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (dueAt[heap[parent]!]! <= dueAt[index]!) break;
      heap[at] = heap[parent]!;
      at = parent;
    }
    heap[at] = index;
  }

  private pop(): number {
    const { heap, dueAt } = this;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && dueAt[heap[right]!]! < dueAt[heap[left]!]! ? right : left;
      if (dueAt[heap[child]!]! >= dueAt[last]!) break;
      heap[at] = heap[child]!;
      at = child;
    }
    heap[at] = last;
    return top;
  }
}
