// The keys the schema allows at a place in the config, read from the zod schema itself, so an
// unknown key can be answered with the nearest known one (or the list of them).
import type * as z from '../zod.js';

interface Def {
  type: string;
  innerType?: z.ZodMiniType;
  in?: z.ZodMiniType;
  element?: z.ZodMiniType;
  shape?: Record<string, z.ZodMiniType>;
  options?: z.ZodMiniType[];
}

const defOf = (schema: z.ZodMiniType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a value at `path` may be: wrappers unwrapped, every member of a union. */
function objectsAt(schema: z.ZodMiniType, path: readonly PropertyKey[]): Array<Record<string, z.ZodMiniType>> {
  const def = defOf(schema);
  const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  if (inner) return objectsAt(inner, path);
  if (def.type === 'union') return (def.options ?? []).flatMap((option) => objectsAt(option, path));
  if (path.length === 0) return def.type === 'object' && def.shape ? [def.shape] : [];
  const [head, ...rest] = path;
  if (def.type === 'array' && def.element && typeof head === 'number') return objectsAt(def.element, rest);
  if (def.type === 'object' && def.shape && typeof head === 'string' && def.shape[head]) return objectsAt(def.shape[head], rest);
  return [];
}

/** Every key an object at `path` may have, sorted; [] when the path leads to no object. */
export function knownKeysAt(schema: z.ZodMiniType, path: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((shape) => Object.keys(shape)))].sort();
}
