// The part of an invalid config that is valid, so checks that need a whole config (names and
// references, secrets, files it names) still run and `check` reports every problem in one pass.
import type * as z from '../zod.js';
import { Config } from './schema.js';

/** A config of the entries that pass the schema, and where each list entry stood in the input. */
export interface ValidEntries {
  config: Config;
  /** Maps a path in `config` back to the same place in the input (list indices shift when entries drop out). */
  inputPath(path: readonly PropertyKey[]): PropertyKey[];
}

/**
 * Keeps each list entry that passes its own schema and each other top-level value that passes;
 * what fails is left out (or to its default), since its problems are already reported.
 */
export function validEntries(merged: Record<string, unknown>): ValidEntries | null {
  const shape = Config.shape as Record<string, z.ZodMiniType>;
  const kept: Record<string, unknown> = {};
  const indices = new Map<string, number[]>();
  for (const [key, value] of Object.entries(merged)) {
    const schema = shape[key];
    if (!schema) continue;
    const element = listElement(schema);
    if (element && Array.isArray(value)) {
      const list: unknown[] = [];
      const from: number[] = [];
      value.forEach((entry, i) => {
        if (!element.safeParse(entry).success) return;
        list.push(entry);
        from.push(i);
      });
      kept[key] = list;
      indices.set(key, from);
    } else if (schema.safeParse(value).success) kept[key] = value;
  }
  const parsed = Config.safeParse(kept);
  if (!parsed.success) return null;
  return {
    config: parsed.data,
    inputPath: ([section, index, ...rest]) => {
      const from = typeof index === 'number' ? indices.get(String(section))?.[index] : undefined;
      return from === undefined ? [section!, ...(index === undefined ? [] : [index]), ...rest] : [section!, from, ...rest];
    },
  };
}

/** The element schema of a (possibly defaulted) array schema. */
function listElement(schema: z.ZodMiniType): z.ZodMiniType | undefined {
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodMiniType; element?: z.ZodMiniType } } })._zod.def;
  if (def.innerType) return listElement(def.innerType);
  return def.type === 'array' ? def.element : undefined;
}
