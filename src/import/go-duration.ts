// Flux writes intervals as Go durations (`5m0s`, `1h30m`, `1.5h`, `500ms`); tagpilot's are the
// same units without ns/us and without the zero parts Go prints. https://pkg.go.dev/time#ParseDuration
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const GO_DURATION = /^([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/;

/** A tagpilot duration (`5m`, `1h30m`, `0`) equal to the Go duration, or null when it is not one. */
export function fromGoDuration(text: string): string | null {
  let rest = text.trim();
  if (rest === '0') return '0';
  if (rest === '' || rest.startsWith('-')) return null;
  let ms = 0;
  while (rest !== '') {
    const match = GO_DURATION.exec(rest);
    if (!match) return null;
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return formatDuration(Math.round(ms));
}

/** `90000` → `1m30s`: the largest units first, zero parts left out. */
function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}
