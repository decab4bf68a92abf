// Loads the config (SPEC §1): one file or a folder of *.yaml, ${VAR} expansion, schema validation,
// cross-references and secrets — every problem reported at once with file:line:column.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type * as z from '../zod.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { Config } from './schema.js';
import { closestName } from './closest-name.js';
import { crossReferenceProblems, type KnownNames } from './cross-references.js';
import { referencedFileProblems } from './referenced-files.js';
import { resolveSecrets } from './resolve-secrets.js';
import { knownKeysAt } from './schema-keys.js';
import type { LocatedProblem } from './located-problem.js';
import { validEntries } from './valid-entries.js';

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

/** What to check beyond the config itself. */
export interface LoadOptions {
  /**
   * Also check that the files the config names (caFile, dockerConfig, signingKeyFile) can be read,
   * as `tagpilot check` does; the service reads them when it first needs them, and says so then.
   */
  checkFiles?: boolean;
}

/** Loads and validates the config at `path` (file or folder); rejects with a ConfigError listing every problem. */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Promise<LoadedConfig> {
  const files = configFiles(path);
  const problems: ConfigProblem[] = [];
  const sources: SourceFile[] = [];
  /** Where an unset ${VAR} emptied a value: the schema's complaint about the empty value there would repeat that problem. */
  const unset = new Set<string>();
  let unparsable = false;

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
    if (doc.errors.length > 0) {
      problems.push(...syntaxProblems(source, text));
      unparsable = true;
      continue;
    }
    for (const problem of expandEnvironment(source, env)) {
      unset.add(placeOf(problem));
      problems.push(problem);
    }
    sources.push(source);
  }
  // Without the whole text there is no config to check further: a syntax error ends the pass.
  if (unparsable) throw new ConfigError(sortProblems(problems));

  const { merged, origins, keyOwners } = mergeSources(sources, problems);
  const locate = locator(sources, origins, keyOwners);

  // jitless: a config is parsed once per load, and zod's compiled fast path (a new Function per
  // object schema) costs more to build than that one parse saves (~5-10 ms of every command's start).
  const parsed = Config.safeParse(merged, { jitless: true });
  let config: Config;
  let inputPath = (path: readonly PropertyKey[]): readonly PropertyKey[] => path;
  let known: KnownNames | undefined;
  if (parsed.success) config = parsed.data;
  else {
    // A mistyped key also leaves the key it meant missing: "did you mean" says so, once.
    const meant = new Set(parsed.error.issues.flatMap((issue) => suggestedPaths(issue)));
    for (const issue of parsed.error.issues) {
      const problem = issueProblem(issue, locate);
      const missingButMeant = issue.code === 'invalid_type' && meant.has(describePath(issue.path as PropertyKey[]));
      if (!unset.has(placeOf(problem)) && !missingButMeant) problems.push(problem);
    }
    // The checks below need a whole config: they run on the entries that passed, so one pass shows every problem.
    const valid = validEntries(merged);
    if (!valid) throw new ConfigError(sortProblems(problems));
    ({ config, inputPath } = valid);
    known = { images: namesIn(merged.images), policies: namesIn(merged.policies) };
  }
  const fileProblems = options.checkFiles ? referencedFileProblems(config) : [];
  const located = [...crossReferenceProblems(config, known), ...(await templateProblems(config)), ...resolveSecrets(config, env), ...fileProblems];
  for (const p of located) {
    problems.push({ ...locate(inputPath(p.path)), message: p.message });
  }
  if (problems.length > 0) throw new ConfigError(sortProblems(problems));
  return { config, files };
}

/**
 * Each `commitMessage` that Handlebars will not compile or render on sample data. Handlebars (114
 * KB, a quarter of what `check` loads with it) is loaded only for a config that has a template.
 */
async function templateProblems(config: Config): Promise<LocatedProblem[]> {
  const templated = config.automations.flatMap((automation, i) => (automation.commitMessage === undefined ? [] : [{ automation, i }]));
  if (templated.length === 0) return [];
  const { commitTemplateProblem } = await import('../git/commit-template.js');
  return templated.flatMap(({ automation, i }) => {
    const problem = commitTemplateProblem(automation.commitMessage!);
    return problem ? [{ path: ['automations', i, 'commitMessage'], message: `automation ${automation.name}: commitMessage: ${problem}` }] : [];
  });
}

function placeOf(problem: Omit<ConfigProblem, 'message'>): string {
  return `${problem.file}:${problem.line}:${problem.column}`;
}

/** The `name`s of a raw list's entries, valid or not. */
function namesIn(list: unknown): Set<string> {
  if (!Array.isArray(list)) return new Set();
  return new Set(list.flatMap((entry) => (entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string' ? [(entry as { name: string }).name] : [])));
}

/**
 * The parser's errors with their positions. A `${VAR}` unquoted inside a flow collection
 * (`{ a: ${X} }`) is YAML syntax there, not text, and sets off a cascade of errors from its line
 * on: that line gets one problem saying to quote it instead, and the cascade is dropped.
 */
function syntaxProblems(source: SourceFile, text: string): ConfigProblem[] {
  const lineTexts = text.split(/\r?\n/);
  const advised = new Set<number>();
  const problems: ConfigProblem[] = [];
  for (const err of source.doc.errors) {
    const { line, col } = source.lines.linePos(err.pos[0]);
    const variable = unquotedVariableInFlow(lineTexts[line - 1] ?? '');
    if (variable) {
      if (!advised.has(line)) {
        advised.add(line);
        problems.push({
          file: source.file,
          line,
          column: variable.column,
          message: `${variable.text} inside a flow collection ({ … } or [ … ]) is read as YAML, not as text: quote it, as "${variable.text}"`,
        });
      }
      continue;
    }
    // After such a line the parser's view of the rest is a cascade of the same mistake.
    if (advised.size > 0) continue;
    problems.push({ file: source.file, line, column: col, message: err.message.split('\n')[0]! });
  }
  return problems;
}

/** The first `${…}` on a line that sits unquoted after a `{` or `[`, with its 1-based column. */
function unquotedVariableInFlow(line: string): { text: string; column: number } | null {
  const match = /\$\{[^}]*\}/.exec(line);
  if (!match) return null;
  const before = line.slice(0, match.index);
  const quotes = (before.match(/"/g)?.length ?? 0) + (before.match(/'/g)?.length ?? 0);
  if (quotes % 2 !== 0 || !/[{[]/.test(before)) return null;
  return { text: match[0], column: match.index + 1 };
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
    const where = `in ${describePath(path)}`;
    return { ...locate([...path, keys[0]!], true), message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} ${where}${keyHint(keys, path)}` };
  }
  return { ...locate(path), message: `${describePath(path)}: ${issueMessage(issue)}` };
}

/** Where the keys an unknown-key issue's suggestions name would be, as describePath spells them. */
function suggestedPaths(issue: z.core.$ZodIssue): string[] {
  if (issue.code !== 'unrecognized_keys') return [];
  const path = issue.path as PropertyKey[];
  const known = knownKeysAt(Config, path);
  return issue.keys.flatMap((key) => {
    const guess = closestName(key, known);
    return guess ? [describePath([...path, guess])] : [];
  });
}

/** `: did you mean "repository"?` for one near a known key; else the keys allowed there. */
function keyHint(keys: readonly string[], path: readonly PropertyKey[]): string {
  const known = knownKeysAt(Config, path);
  if (known.length === 0) return '';
  const guesses = keys.map((k) => closestName(k, known));
  if (guesses.every((g) => g !== undefined)) return `: did you mean ${guesses.map((g) => `"${g}"`).join(', ')}?`;
  return ` (expected one of: ${known.join(', ')})`;
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

/** In file and line order, each problem once. */
function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return [...problems]
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
    .filter((p) => {
      const key = `${placeOf(p)} ${p.message}`;
      return !seen.has(key) && seen.add(key);
    });
}
