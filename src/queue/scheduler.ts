// Fires each image's scan on its interval. node-cron ticks every second and we check what is due,
// so any interval (90s, 1h30m) works, not only those a cron expression can say; each image gets a
// random offset so hundreds of images on one interval do not all fire in the same second.
import { schedule, type ScheduledTask } from 'node-cron';

/** Something to run every `intervalMs`; 0 means never (webhooks only). */
export interface ScheduleEntry {
  key: string;
  intervalMs: number;
}

/** Calls `fire(key)` for each entry on its interval, first after a random part of it. */
export class Scheduler {
  private task: ScheduledTask | null = null;
  private readonly due = new Map<string, number>();

  constructor(
    private readonly entries: readonly ScheduleEntry[],
    private readonly fire: (key: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    const start = this.now();
    for (const entry of entries) {
      if (entry.intervalMs > 0) this.due.set(entry.key, start + Math.floor(Math.random() * entry.intervalMs));
    }
  }

  /** Starts ticking. */
  start(): void {
    this.task = schedule('* * * * * *', () => this.tick(), { noOverlap: true });
  }

  /** Fires every entry that is due; exposed so tests can drive time. */
  tick(): void {
    const now = this.now();
    for (const entry of this.entries) {
      const at = this.due.get(entry.key);
      if (at === undefined || at > now) continue;
      this.due.set(entry.key, now + entry.intervalMs);
      this.fire(entry.key);
    }
  }

  /** When `key` fires next; null when it has no interval (webhooks only) or is unknown. */
  nextRun(key: string): Date | null {
    const at = this.due.get(key);
    return at === undefined ? null : new Date(at);
  }

  /** Stops ticking. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = null;
  }
}
