// Loads the config (SPEC §1): one file or a folder of *.yaml, ${VAR} expansion, schema validation,
// cross-references and secrets — every problem reported at once with file:line:column.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { Config } from './schema.js';
import { crossReferenceProblems, policyProblemsOfValidEntries } from './cross-references.js';
import { resolveSecrets } from './resolve-secrets.js';

export { DEFAULT_CONFIG_PATH } from './default-config-path.js';

/** Keys whose values are templates of their own, so `${...}` in them is not an environment variable. */
const NOT_EXPANDED = new Set(['extract']);

/** A parsed config file and what is needed to point at places in it. */
interface SourceFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Where a merged list element came from. */
interface Origin {
  source: SourceFile;
  index: number;
}

/** The validated config and the files it came from. */
export interface LoadedConfig {
  config: Config;
  files: string[];
}

/** Loads and validates the config at `path` (file or folder); throws ConfigError listing every problem. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const files = configFiles(path);
  const problems: ConfigProblem[] = [];
  const sources: SourceFile[] = [];

  for (const file of files) {
    const lines = new LineCounter();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([{ file, line: 0, column: 0, message: `cannot read: ${(err as Error).message}` }]);
    }
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = { file, doc, lines };
    for (const err of doc.errors) {
      const pos = lines.linePos(err.pos[0]);
      problems.push({ file, line: pos.line, column: pos.col, message: err.message.split('\n')[0]! });
    }
    if (doc.errors.length > 0) continue;
    problems.push(...expandEnvironment(source, env));
    sources.push(source);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const { merged, origins, keyOwners } = mergeSources(sources, problems);
  const locate = locator(sources, origins, keyOwners);

  const parsed = Config.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(issueProblem(issue, locate));
    // Report what the policies themselves get wrong too, so one run shows every problem.
    for (const p of policyProblemsOfValidEntries(merged.policies)) problems.push({ ...locate(p.path), message: p.message });
    throw new ConfigError(sortProblems(problems));
  }
  const config = parsed.data;
  for (const p of [...crossReferenceProblems(config), ...resolveSecrets(config, env)]) {
    problems.push({ ...locate(p.path), message: p.message });
  }
  if (problems.length > 0) throw new ConfigError(sortProblems(problems));
  return { config, files };
}

function configFiles(path: string): string[] {
  const full = resolve(path);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new ConfigError([{ file: path, line: 0, column: 0, message: 'config file or folder does not exist' }]);
  }
  if (!stat.isDirectory()) return [path];
  const names = readdirSync(full)
    .filter((n) => n.endsWith('.yaml'))
    .sort();
  if (names.length === 0) {
    throw new ConfigError([{ file: path, line: 0, column: 0, message: 'config folder holds no *.yaml files' }]);
  }
  return names.map((n) => join(path, n));
}

/** Replaces `${VAR}` in every string value (`$${` stays a literal `${`); an unset variable is a problem. */
function expandEnvironment(source: SourceFile, env: NodeJS.ProcessEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(source.doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const parent = path[path.length - 1];
      if (isPair(parent) && isScalar(parent.key) && NOT_EXPANDED.has(String(parent.key.value))) return;
      node.value = node.value.replace(/\$(\$)?\{([^}]*)\}/g, (whole, escaped: string | undefined, name: string) => {
        if (escaped) return whole.slice(1);
        const value = env[name];
        if (value === undefined) {
          problems.push({ ...position(source, node), message: `environment variable ${name} is not set` });
          return '';
        }
        return value;
      });
    },
  });
  return problems;
}

/** Concatenates the files' top-level lists; any other top-level key may be set by one file only. */
function mergeSources(sources: SourceFile[], problems: ConfigProblem[]) {
  const merged: Record<string, unknown> = {};
  const origins = new Map<string, Origin[]>();
  const keyOwners = new Map<string, SourceFile>();
  for (const source of sources) {
    const value: unknown = source.doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ ...position(source, source.doc.contents), message: 'expected a mapping at the top level' });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (Array.isArray(item)) {
        const list = (merged[key] ??= []) as unknown[];
        if (!Array.isArray(list)) continue;
        const from = origins.get(key) ?? [];
        item.forEach((element, index) => {
          list.push(element);
          from.push({ source, index });
        });
        origins.set(key, from);
      } else if (key in merged) {
        const first = keyOwners.get(key);
        problems.push({
          ...position(source, keyNode(source.doc, [key])),
          message: `${key} is already set in ${first?.file ?? 'another file'}`,
        });
      } else {
        merged[key] = item;
        keyOwners.set(key, source);
      }
    }
  }
  return { merged, origins, keyOwners };
}

/** Finds the file position of a path; `onKey` points at the last key itself rather than its value. */
type Locate = (path: readonly PropertyKey[], onKey?: boolean) => Omit<ConfigProblem, 'message'>;

/** Maps a path in the merged config back to the file and node it came from. */
function locator(sources: SourceFile[], origins: Map<string, Origin[]>, keyOwners: Map<string, SourceFile>): Locate {
  return (path, onKey = false) => {
    const [top, index, ...rest] = path;
    const origin = typeof index === 'number' ? origins.get(String(top))?.[index] : undefined;
    const source = origin?.source ?? keyOwners.get(String(top)) ?? sources[0];
    if (!source) return { file: '(config)', line: 0, column: 0 };
    const local = origin ? [String(top), origin.index, ...rest] : path;
    return position(source, onKey ? keyNode(source.doc, local) : deepestNode(source.doc, local));
  };
}

/** The node at `path`, or the closest ancestor that exists (a missing key is reported on its parent). */
function deepestNode(doc: Document, path: readonly PropertyKey[]): Node | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (node && typeof node === 'object') return node as Node;
  }
  return doc.contents;
}

function keyNode(doc: Document, path: readonly PropertyKey[]): Node | null {
  const parent = deepestNode(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return parent;
}

function position(source: SourceFile, node: Node | null | undefined): Omit<ConfigProblem, 'message'> {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = source.lines.linePos(offset);
  return { file: source.file, line, column: col };
}

function issueProblem(issue: z.core.$ZodIssue, locate: Locate): ConfigProblem {
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return { ...locate([...path, keys[0]!], true), message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} in ${describePath(path)}` };
  }
  return { ...locate(path), message: `${describePath(path)}: ${issueMessage(issue)}` };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `is required (expected ${issue.expected})`;
  }
  return issue.message;
}

/** `automations[0].git.url` style, for messages. */
export function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the config';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
