import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { Metrics } from '../../src/metrics.js';
import { validateJsonSchema } from './json-schema-validator.js';

const DOC = 'docs/configuration.md';

/** One documented key: its full path, the Default cell, and the line it is on. */
interface DocRow {
  path: string;
  cell: string;
  line: number;
}

/** Rows of the reference tables: `## \`prefix\`` headings (or "Top level") and `| \`key\` | … |` rows. */
function documentedKeys(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  let prefix: string | null = null;
  markdown.split('\n').forEach((text, index) => {
    const heading = /^##\s+(.*)$/.exec(text);
    if (heading) {
      const named = /^`([^`]+)`$/.exec(heading[1]!.trim());
      prefix = named ? named[1]! : heading[1]!.trim() === 'Top level' ? '' : null;
      return;
    }
    const row = /^\|\s*`([^`]+)`\s*\|/.exec(text);
    if (prefix === null || !row) return;
    const cells = text.split(/(?<!\\)\|/).map((c) => c.trim());
    const path = prefix === '' ? row[1]! : `${prefix}.${row[1]!}`;
    rows.push({ path, cell: cells[3] ?? '', line: index + 1 });
  });
  return rows;
}

/** What the schema says of each key: its default (if any) and whether its object requires it. */
function schemaKeys(): Map<string, { default?: unknown; required: boolean }> {
  const keys = new Map<string, { default?: unknown; required: boolean }>();
  const walk = (node: Record<string, unknown>, path: string) => {
    const required = (node.required as string[] | undefined) ?? [];
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const known = keys.get(childPath);
      keys.set(childPath, {
        ...('default' in child ? { default: child.default } : {}),
        required: (known?.required ?? false) || required.includes(key),
      });
      walk(child, childPath);
    }
    if (node.items) walk(node.items as Record<string, unknown>, `${path}[]`);
    for (const branch of (node.anyOf ?? []) as Array<Record<string, unknown>>) walk(branch, path);
  };
  walk(configJsonSchema(), '');
  return keys;
}

describe('docs/configuration.md', () => {
  const rows = documentedKeys(readFileSync(DOC, 'utf8'));
  const schema = schemaKeys();

  it('documents every key of the schema, and no key the schema lacks', () => {
    const documented = rows.map((r) => r.path);
    const missing = [...schema.keys()].filter((k) => !documented.includes(k));
    const unknown = documented.filter((k) => !schema.has(k));
    assert.deepEqual({ missing, unknown }, { missing: [], unknown: [] });
  });

  it('documents each key once', () => {
    const twice = rows.filter((r, i) => rows.findIndex((o) => o.path === r.path) !== i).map((r) => `${r.path} (line ${r.line})`);
    assert.deepEqual(twice, []);
  });

  it("gives each key the schema's default, or says it is required", () => {
    const wrong: string[] = [];
    for (const row of rows) {
      const key = schema.get(row.path);
      if (!key) continue;
      const code = /^`([^`]*)`$/.exec(row.cell);
      if (key.required) {
        if (row.cell !== '*required*') wrong.push(`${DOC}:${row.line} ${row.path}: expected *required*, got ${row.cell}`);
      } else if ('default' in key) {
        const documented: unknown = code ? parse(code[1]!) : undefined;
        if (!code || JSON.stringify(documented) !== JSON.stringify(key.default)) {
          wrong.push(`${DOC}:${row.line} ${row.path}: expected \`${JSON.stringify(key.default)}\`, got ${row.cell}`);
        }
      } else if (row.cell !== '—') wrong.push(`${DOC}:${row.line} ${row.path}: has no default, expected —, got ${row.cell}`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('tagpilot config examples in docs/', () => {
  const schema = configJsonSchema();
  const configKeys = Object.keys(schema.properties as object);
  const pages = ['docs/configuration.md', 'docs/webhooks.md', 'docs/notifications.md', 'docs/migrating.md', 'docs/operations.md', 'deploy/README.md'];
  for (const page of pages) {
    it(`${page}: its YAML blocks parse, and those that are tagpilot config match the schema`, () => {
      const blocks = [...readFileSync(page, 'utf8').matchAll(/```yaml\n([^]*?)```/g)].map((m) => m[1]!);
      const configs = blocks
        .map((text) => parse(text) as unknown)
        .filter((value): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value))
        .filter((value) => Object.keys(value).length > 0 && Object.keys(value).every((k) => configKeys.includes(k)));
      for (const config of configs) assert.deepEqual(validateJsonSchema(schema, config), [], JSON.stringify(config));
    });
  }
});

describe('docs/operations.md metrics', () => {
  it('lists every metric /metrics exports, with its type, and no other', async () => {
    const exported = (await new Metrics().registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]).sort();
    const documented = [...readFileSync('docs/operations.md', 'utf8').matchAll(/^\| `(tagpilot_[a-z_]+)` \| (\w+) \|/gm)]
      .map((m) => [m[1]!, m[2]!])
      .sort();
    assert.deepEqual(documented, exported);
  });
});
