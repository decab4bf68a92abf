// What every benchmark reports: its figure beside a baseline measured in the same run.

/** One row of the `npm run bench` table. */
export interface BenchResult {
  name: string;
  /** What was measured, e.g. "median ms". */
  unit: string;
  figure: number;
  baselineName: string;
  baseline: number;
  /** The aim from the issue, e.g. "<= 1.2x baseline"; shown beside the ratio. */
  aim?: string;
}

/** A benchmark file's only export besides helpers it keeps private. */
export type Benchmark = () => Promise<BenchResult[]>;

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
