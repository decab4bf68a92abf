// Milliseconds on a monotonic clock, for durations and freshness. Not `performance.now()`: the first
// read of the `performance` global loads nine of Node's internal modules (perf_hooks), ~1-1.5 ms of
// every short command that times anything (issue 18).

/** The time in milliseconds, on a clock that only moves forward; meaningful only as a difference. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
