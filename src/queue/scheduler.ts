// Fires each image's scan on its interval. Due entries fire on whole-second ticks and we check what
// is due, so any interval (90s, 1h30m) works, not only those a cron expression can say; each image
// gets a random offset so hundreds of images on one interval do not all fire in the same second. What
// is due is kept in a min-heap by time, so a tick looks only at the entries it fires, not at all of
// them (1,000 images: a walk over every entry each second was ~4% of serve's CPU in an interval, issue 18).
//
// node-cron beats once a minute, and a timer set for the first whole second at which the earliest
// entry is due ticks in between: the same ticks a once-a-second beat makes, less the ones that find
// nothing due. A node-cron beat each second cost 8-14% of serve's CPU in an interval with 1,000
// images (its Intl date formatting, about 11 formatToParts calls, and a random UUID per beat; a timer
// costs a sixth of that). The minute beat ticks too and sets the timer again, so a wall-clock change
// (timers run on a monotonic clock) moves the ticks by at most a minute.
import { schedule, type ScheduledTask } from 'node-cron';

/** The longest the timer waits: the minute beat sets it again by then. */
const MAX_TIMER_MS = 60_000;

/** Something to run every `intervalMs`; 0 means never (webhooks only). */
export interface ScheduleEntry {
  key: string;
  intervalMs: number;
}

/** Calls `fire(key)` for each entry on its interval, first after a random part of it. */
export class Scheduler {
  private task: ScheduledTask | null = null;
  /** The tick between beats, at the first whole second at which the earliest entry is due. */
  private timer: NodeJS.Timeout | undefined;
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
    this.task = schedule('0 * * * * *', () => this.tickAndArm(), { noOverlap: true });
    this.arm();
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
    const task = this.task;
    this.task = null;
    clearTimeout(this.timer);
    this.timer = undefined;
    await task?.destroy();
  }

  private tickAndArm(): void {
    try {
      this.tick();
    } finally {
      this.arm();
    }
  }

  /** Sets the timer for the first whole second at which the earliest entry is due (none: the beat). */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.task === null || this.heap.length === 0) return;
    const now = this.now();
    // An entry still due (a tick cut short by an error) waits for the next second, as with a beat.
    const tickAt = Math.ceil(Math.max(this.dueAt[this.heap[0]!]!, now + 1) / 1000) * 1000;
    const delay = Math.min(tickAt - now, MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.tickAndArm();
      } catch (err) {
        // As node-cron does with a beat's error: reported, and the rest fire on the next tick.
        console.error('scheduler tick failed:', err);
      }
    }, delay);
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
