/** A problem found after schema validation, at a path in the merged config; the loader adds file:line. */
export interface LocatedProblem {
  path: PropertyKey[];
  message: string;
}
