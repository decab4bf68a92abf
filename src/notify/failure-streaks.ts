// A failure is announced once per streak and its end once: the streak of an automation or an image
// starts at its first failure and ends at its next success.

/** An ongoing streak of failures. */
export interface Streak {
  since: Date;
  failures: number;
  lastError: string;
}

/** Streaks by subject (`automation:NAME`, `image:NAME`). */
export class FailureStreaks {
  private readonly streaks = new Map<string, Streak>();

  /** Records a failure; returns the streak and whether this failure started it. */
  failed(subject: string, error: string, at: Date = new Date()): { streak: Streak; started: boolean } {
    const streak = this.streaks.get(subject);
    if (streak) {
      streak.failures++;
      streak.lastError = error;
      return { streak, started: false };
    }
    const started: Streak = { since: at, failures: 1, lastError: error };
    this.streaks.set(subject, started);
    return { streak: started, started: true };
  }

  /** Records a success; returns the streak it ended, or null when there was none. */
  succeeded(subject: string): Streak | null {
    const streak = this.streaks.get(subject) ?? null;
    this.streaks.delete(subject);
    return streak;
  }
}
