// STYLE rule 4: every webhook body goes through a zod schema; the first problems are reported with
// their JSON path (`events[0].target.repository`) so a 400 tells the sender what to fix.
import type * as z from '../zod.js';
import { WebhookPayloadError } from '../errors.js';

const MAX_ISSUES = 3;

/** `value` validated by `schema`, or a WebhookPayloadError naming the source and the fields at fault. */
export function parsePayload<T extends z.ZodMiniType>(schema: T, value: unknown, source: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, MAX_ISSUES).map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
  return fail(`${source} payload: ${problems.join('; ')}`);
}

/** Throws a WebhookPayloadError; a function so parsers can use it in expressions. */
export function fail(message: string): never {
  throw new WebhookPayloadError(message);
}

/** `["events", 0, "target"]` → `events[0].target`; the empty path is the body itself. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(body)' : out;
}
