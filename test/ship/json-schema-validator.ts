// A JSON Schema checker for exactly the keywords `configJsonSchema()` emits, so tests can ask
// "would an editor flag this?" without a validator dependency. An unknown keyword throws, so a
// schema that grows one fails loudly here instead of being half-checked.
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default']);

/** Every problem with `value` under `schema`, as `path: message`; [] when it validates. */
export function validateJsonSchema(schema: Schema, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  for (const [keyword, argument] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case 'type':
        if (!hasType(value, argument as string)) problems.push(`${path}: expected ${String(argument)}`);
        break;
      case 'enum':
        if (!(argument as unknown[]).includes(value)) problems.push(`${path}: expected one of ${JSON.stringify(argument)}`);
        break;
      case 'const':
        if (value !== argument) problems.push(`${path}: expected ${JSON.stringify(argument)}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(argument as string, 'u').test(value)) problems.push(`${path}: does not match ${String(argument)}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && [...value].length < (argument as number)) problems.push(`${path}: too short`);
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < (argument as number)) problems.push(`${path}: fewer than ${String(argument)} items`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (argument as number)) problems.push(`${path}: below ${String(argument)}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (argument as number)) problems.push(`${path}: above ${String(argument)}`);
        break;
      case 'required':
        if (isObject(value)) for (const key of argument as string[]) if (!(key in value)) problems.push(`${path}: missing ${key}`);
        break;
      case 'properties':
        if (isObject(value)) {
          for (const [key, child] of Object.entries(argument as Record<string, Schema>)) {
            if (key in value) problems.push(...validateJsonSchema(child, value[key], `${path}.${key}`));
          }
        }
        break;
      case 'additionalProperties':
        if (argument === false && isObject(value)) {
          const known = Object.keys((schema.properties as object | undefined) ?? {});
          for (const key of Object.keys(value)) if (!known.includes(key)) problems.push(`${path}: unknown key ${key}`);
        }
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((item, i) => problems.push(...validateJsonSchema(argument as Schema, item, `${path}[${i}]`)));
        break;
      case 'anyOf': {
        const results = (argument as Schema[]).map((branch) => validateJsonSchema(branch, value, path));
        if (!results.some((r) => r.length === 0)) problems.push(`${path}: matches none of anyOf (${results.map((r) => r.join(', ')).join(' | ')})`);
        break;
      }
      case 'oneOf': {
        const passing = (argument as Schema[]).filter((branch) => validateJsonSchema(branch, value, path).length === 0).length;
        if (passing !== 1) problems.push(`${path}: matches ${passing} of oneOf, expected exactly 1`);
        break;
      }
      default:
        throw new Error(`validateJsonSchema: keyword ${keyword} is not supported; extend test/ship/json-schema-validator.ts`);
    }
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}
