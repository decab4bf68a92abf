// `filter.extract`: `$1`, `$name`, `${name}` and `$$`, checked against the pattern when the config loads.

/** A literal piece, a group number, or a group name. */
type TemplatePart = { literal: string } | { index: number } | { name: string };

/** An extract template whose every reference names a group the pattern has. */
export interface ExtractTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

/** The capture groups a pattern defines. */
export interface PatternGroups {
  readonly count: number;
  readonly names: readonly string[];
}

/** The groups of a compiled pattern, read from a match of the empty alternative we append. */
export function patternGroups(pattern: RegExp): PatternGroups {
  const match = new RegExp(`(?:${pattern.source})|`).exec('')!;
  return { count: match.length - 1, names: Object.keys(match.groups ?? {}) };
}

// Go's regexp.Expand grammar, which Flux users write: `$name` takes the longest run of these.
const BARE_NAME = /^[A-Za-z0-9_]+/;
const DIGITS = /^\d+$/;

/**
 * Parses a template, or returns the problem. Stricter than Go and Flux, which expand an unknown
 * reference to '' at pick time: here `$3` with two groups, `$nope` and `$1x` are config errors.
 */
export function parseExtractTemplate(
  source: string,
  groups: PatternGroups,
): { template: ExtractTemplate } | { problem: string } {
  if (source === '') return { problem: 'expected a template such as "$1" or "$name"' };
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const dollar = source.indexOf('$', i);
    if (dollar < 0) {
      literal += source.slice(i);
      break;
    }
    literal += source.slice(i, dollar);
    const next = source[dollar + 1];
    if (next === '$') {
      literal += '$';
      i = dollar + 2;
      continue;
    }
    let name: string;
    let braced: boolean;
    if (next === '{') {
      const close = source.indexOf('}', dollar + 2);
      if (close < 0) return { problem: `"${source.slice(dollar)}" has no closing "}"` };
      name = source.slice(dollar + 2, close);
      if (name === '') return { problem: '"${}" names no group' };
      braced = true;
      i = close + 1;
    } else {
      const bare = BARE_NAME.exec(source.slice(dollar + 1));
      if (bare === null) {
        return {
          problem: `"$" at position ${dollar + 1} starts no group reference; write $1, $name or \${name}, or $$ for a literal "$"`,
        };
      }
      name = bare[0];
      braced = false;
      i = dollar + 1 + name.length;
    }
    const reference = resolveReference(name, braced, groups);
    if ('problem' in reference) return reference;
    if (literal !== '') parts.push({ literal });
    literal = '';
    parts.push(reference.part);
  }
  if (literal !== '') parts.push({ literal });
  return { template: { source, parts } };
}

function resolveReference(
  name: string,
  braced: boolean,
  groups: PatternGroups,
): { part: TemplatePart } | { problem: string } {
  const written = braced ? `\${${name}}` : `$${name}`;
  if (DIGITS.test(name)) {
    if (name.length > 1 && name.startsWith('0')) {
      return { problem: `"${written}": group numbers have no leading zeros` };
    }
    const index = Number(name);
    if (index > groups.count) {
      const has = groups.count === 0 ? 'no capturing groups' : `${groups.count} capturing group${groups.count === 1 ? '' : 's'}`;
      return { problem: `"${written}" refers to group ${index}, but the pattern has ${has}` };
    }
    return { part: { index } };
  }
  if (groups.names.includes(name)) return { part: { name } };
  const leadingDigits = /^\d+/.exec(name);
  if (!braced && leadingDigits !== null) {
    const rest = name.slice(leadingDigits[0].length);
    return {
      problem: `"${written}" is read as a group named "${name}", which the pattern does not define; write "\${${leadingDigits[0]}}${rest}" for group ${leadingDigits[0]} followed by "${rest}"`,
    };
  }
  const defined = groups.names.length === 0 ? 'it has no named groups' : `it has ${groups.names.join(', ')}`;
  return { problem: `"${written}" refers to a group named "${name}", which the pattern does not define (${defined})` };
}

/** Expands a template against a match; groups that did not take part expand to ''. */
export function expandExtractTemplate(template: ExtractTemplate, match: RegExpExecArray): string {
  let out = '';
  for (const part of template.parts) out += partText(part, match);
  return out;
}

/** A function that expands one template, with the common single-reference case kept cheap. */
export function compileExtractTemplate(template: ExtractTemplate): (match: RegExpExecArray) => string {
  const [only] = template.parts;
  if (template.parts.length === 1 && only !== undefined) return (match) => partText(only, match);
  return (match) => expandExtractTemplate(template, match);
}

function partText(part: TemplatePart, match: RegExpExecArray): string {
  if ('literal' in part) return part.literal;
  if ('index' in part) return match[part.index] ?? '';
  return match.groups?.[part.name] ?? '';
}
