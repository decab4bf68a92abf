// Retry-After as 429 and 503 answers carry it (RFC 9110 §10.2.3): delta seconds or an HTTP date.

/** How long the peer asked us to wait, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse accepts "3" or "1.5" as years, so only something that looks like an HTTP date is read as one.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
