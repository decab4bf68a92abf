// How soak times read in status, plan and commit subjects: `3h of 24h`, `after 26h`.

/** `26h`, `3h25m`, `40m`, `12s`: whole units, minutes dropped once the hours make them noise. */
export function formatSoak(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.floor(ms / 1000)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 1) return `${minutes}m`;
  const rest = minutes % 60;
  return hours >= 10 || rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
}
