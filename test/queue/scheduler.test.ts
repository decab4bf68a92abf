import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Scheduler, type ScheduleEntry } from '../../src/queue/scheduler.js';

/** A repeatable Math.random (a linear congruential generator), so two schedulers draw the same offsets. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** What the scheduler must do, written as the plain walk over every entry that it replaced. */
function referenceTicks(entries: readonly ScheduleEntry[], start: number, times: readonly number[], random: () => number): string[][] {
  const due = new Map<string, number>();
  for (const entry of entries) if (entry.intervalMs > 0) due.set(entry.key, start + Math.floor(random() * entry.intervalMs));
  return times.map((now) => {
    const fired: string[] = [];
    for (const entry of entries) {
      const at = due.get(entry.key);
      if (at === undefined || at > now) continue;
      due.set(entry.key, now + entry.intervalMs);
      fired.push(entry.key);
    }
    return fired;
  });
}

describe('Scheduler', () => {
  const cases: Array<{ label: string; entries: ScheduleEntry[]; step: number; ticks: number }> = [
    {
      label: '1,000 images on one 1-minute interval, ticked each second for 3 minutes',
      entries: Array.from({ length: 1000 }, (_, i) => ({ key: `scan:img${i}`, intervalMs: 60_000 })),
      step: 1000,
      ticks: 180,
    },
    {
      label: 'mixed intervals, webhook-only entries, irregular ticks',
      entries: [
        ...Array.from({ length: 50 }, (_, i) => ({ key: `scan:a${i}`, intervalMs: (i % 7) * 15_000 })),
        ...Array.from({ length: 20 }, (_, i) => ({ key: `write:w${i}`, intervalMs: 90_000 + i })),
      ],
      step: 2_345,
      ticks: 200,
    },
  ];
  for (const { label, entries, step, ticks } of cases) {
    it(`fires what the walk over every entry fires, tick by tick and in order: ${label}`, () => {
      const start = 1_700_000_000_000;
      const times = Array.from({ length: ticks }, (_, i) => start + (i + 1) * step);
      const expected = referenceTicks(entries, start, times, seededRandom(7));
      let now = start;
      const fired: string[] = [];
      mock.method(Math, 'random', seededRandom(7));
      let scheduler: Scheduler;
      try {
        scheduler = new Scheduler(entries, (key) => fired.push(key), () => now);
      } finally {
        mock.restoreAll();
      }
      const actual = times.map((t) => {
        now = t;
        fired.length = 0;
        scheduler.tick();
        return [...fired];
      });
      assert.deepEqual(actual, expected);
      assert.ok(expected.flat().length > entries.length, 'the case fires entries more than once');
    });
  }

  it('fires due entries on its own once started, between node-cron\'s minute beats', async () => {
    const fired: string[] = [];
    let firedTwice!: () => void;
    const twice = new Promise<void>((resolve) => (firedTwice = resolve));
    const scheduler = new Scheduler(
      [
        { key: 'scan:a', intervalMs: 1000 },
        { key: 'scan:hooks-only', intervalMs: 0 },
      ],
      (key) => {
        fired.push(key);
        if (fired.length === 2) firedTwice();
      },
    );
    scheduler.start();
    try {
      await twice;
    } finally {
      await scheduler.stop();
    }
    assert.deepEqual(fired, ['scan:a', 'scan:a']);
  });

  it('says when a key fires next, and null for one without an interval or unknown', () => {
    let now = 1_000_000;
    const fired: string[] = [];
    mock.method(Math, 'random', () => 0.5);
    let scheduler: Scheduler;
    try {
      scheduler = new Scheduler(
        [
          { key: 'scan:a', intervalMs: 60_000 },
          { key: 'scan:hooks-only', intervalMs: 0 },
        ],
        (key) => fired.push(key),
        () => now,
      );
    } finally {
      mock.restoreAll();
    }
    assert.equal(scheduler.nextRun('scan:a')?.getTime(), 1_030_000);
    assert.equal(scheduler.nextRun('scan:hooks-only'), null);
    assert.equal(scheduler.nextRun('scan:unknown'), null);
    now = 1_029_999;
    scheduler.tick();
    assert.deepEqual(fired, []);
    now = 1_030_500;
    scheduler.tick();
    assert.deepEqual(fired, ['scan:a']);
    assert.equal(scheduler.nextRun('scan:a')?.getTime(), 1_090_500);
  });
});
