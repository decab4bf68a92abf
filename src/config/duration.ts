// Durations as users write them in the config: 0, 500ms, 30s, 5m, 1h30m.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Milliseconds for a duration string or 0; null when it is not one. */
export function parseDuration(value: string | number): number | null {
  if (value === 0 || value === '0') return 0;
  if (typeof value !== 'string' || value === '') return null;
  PART_RE.lastIndex = 0;
  let total = 0;
  while (PART_RE.lastIndex < value.length) {
    const match = PART_RE.exec(value);
    if (!match) return null;
    total += Number(match[1]) * UNIT_MS[match[2] as string]!;
  }
  return Math.round(total);
}
