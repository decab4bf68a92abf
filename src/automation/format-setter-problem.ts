// One marker or file problem as plan, reconcile and the status page print it.
import type { SetterProblem } from '../update/apply-setters.js';

/** `path:line: message`, or `path: message` for a problem with the whole file. */
export function formatSetterProblem(problem: SetterProblem): string {
  return `${problem.file}${problem.line > 0 ? `:${problem.line}` : ''}: ${problem.message}`;
}
