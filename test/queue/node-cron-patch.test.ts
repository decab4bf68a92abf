// patches/node-cron+4.6.0.patch reads a task's local time (no timezone option, as src/queue/scheduler.ts
// schedules) from Date's getters instead of an Intl.DateTimeFormat (patches/README.md). These check that
// npm applied it, and that the patched parts, offsets and matches are what node-cron's Intl path
// gives, in time zones with DST, half-hour and 45-minute offsets, across a year of instants.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { pathToFileURL } from 'node:url';

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: string;
  gmt: string;
}

/** node-cron's internals, exported from its shared chunk under short names (LocalizedTime as L, TimeMatcher as T). */
interface Shared {
  L: new (date: Date, timezone?: string) => { getParts(): Parts; toISO(): string };
  T: new (pattern: string, timezone?: string) => { match(date: Date): boolean; getNextMatch(date: Date): Date };
}

const sharedPath = join(dirname(createRequire(import.meta.url).resolve('node-cron')), '_shared.js');
const { L: LocalizedTime, T: TimeMatcher } = (await import(pathToFileURL(sharedPath).href)) as Shared;

const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham'];
const originalTz = process.env.TZ;

describe('node-cron patch (patches/node-cron+4.6.0.patch)', () => {
  after(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('is applied: a task without a timezone reads its local time without Intl', () => {
    mock.method(Intl.DateTimeFormat.prototype, 'formatToParts', () => {
      throw new Error('Intl used');
    });
    try {
      const time = new LocalizedTime(new Date(Date.UTC(2026, 2, 8, 7, 30)));
      assert.equal(typeof time.toISO(), 'string');
      assert.ok(new TimeMatcher('* * * * * *').getNextMatch(new Date()) instanceof Date);
      // With a timezone option it is Intl, as before.
      assert.throws(() => new LocalizedTime(new Date(), 'Asia/Kolkata'), /Intl used/);
    } finally {
      mock.restoreAll();
    }
  });

  // The reference is node-cron's own Intl path, which a task with a timezone option still takes.
  for (const zone of ZONES) {
    it(`reads the local parts and offset that its Intl path reads for the zone by name: ${zone}`, () => {
      process.env.TZ = zone;
      // Every 2 h 7 min 13.5 s through 2026 (~4,100 instants), DST changes included.
      const start = Date.UTC(2026, 0, 1);
      for (let at = start; at < start + 366 * 86_400_000; at += 127 * 60_000 + 13_500) {
        const date = new Date(at);
        const local = new LocalizedTime(date);
        const named = new LocalizedTime(date, zone);
        assert.deepEqual({ ...local.getParts() }, { ...named.getParts() }, `${zone} ${date.toISOString()}`);
        assert.equal(local.toISO(), named.toISO(), `${zone} ${date.toISOString()}`);
      }
    });

    it(`finds the matches its Intl path finds, over DST changes and ambiguous local times: ${zone}`, () => {
      process.env.TZ = zone;
      const patterns = ['0 30 2 * * *', '0 * * * * *', '*/7 * * * * *', '0 45 * * * *', '0 0 0 * * 0'];
      // Every 40 minutes of the days around each zone's DST changes in 2026 (and ordinary days).
      const days = [
        [2, 7], [2, 8], [2, 28], [3, 4], [8, 26], [9, 24], [9, 31], [10, 1],
      ] as const;
      for (const [month, day] of days) {
        for (let minute = 0; minute < 48 * 60; minute += 40) {
          const from = new Date(Date.UTC(2026, month, day - 1, 0, minute, 9));
          for (const pattern of patterns) {
            const local = new TimeMatcher(pattern);
            const named = new TimeMatcher(pattern, zone);
            assert.equal(local.getNextMatch(from).toISOString(), named.getNextMatch(from).toISOString(), `${zone} ${pattern} after ${from.toISOString()}`);
            assert.equal(local.match(from), named.match(from), `${zone} ${pattern} at ${from.toISOString()}`);
          }
        }
      }
    });
  }
});
