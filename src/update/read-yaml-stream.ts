import { CST, Composer, LineCounter, Parser } from 'yaml';
import type { Document } from 'yaml';

/** A value in the source (never a key): the token, whether it sits in a flow collection, and its document. */
export interface SourceValue {
  token: CST.Token;
  inFlow: boolean;
  document: number;
}

/** One file parsed twice over the same tokens: CST for byte positions, documents for meaning. */
export interface YamlStream {
  tokens: CST.Token[];
  documents: Document.Parsed[];
  /** Every value token, in source order; `Composer` with `keepSourceTokens` links nodes to these. */
  values: SourceValue[];
  lineCounter: LineCounter;
  /** Why the file cannot be edited (the first parse error, or nesting past MAX_NESTING), if it cannot. */
  error: { offset: number; message: string } | null;
}

/**
 * Collections nested deeper than this are refused before they are composed. yaml's Composer and
 * CST.visit recurse once per level and run out of stack past ~1,500 (a 10 KB file of `[[[…]]]` is
 * 5,000 deep); Kubernetes objects and Helm values stay far below it.
 */
export const MAX_NESTING = 256;

/** Parses a YAML stream for editing in place. */
export function readYamlStream(text: string): YamlStream {
  const lineCounter = new LineCounter();
  // The parser keeps its own stack; only what comes after it recurses.
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const tooDeep = firstTooDeep(tokens);
  if (tooDeep !== null) {
    const message = `nested more than ${MAX_NESTING} levels deep, past what tagpilot parses`;
    return { tokens, documents: [], values: [], lineCounter, error: { offset: tooDeep, message } };
  }
  const composer = new Composer({ keepSourceTokens: true });
  const documents = [...composer.compose(tokens)];
  const errors = [...documents.flatMap((doc) => doc.errors), ...composer.streamInfo().errors];
  const first = errors.sort((a, b) => a.pos[0] - b.pos[0])[0];
  const error = first ? { offset: first.pos[0], message: `not valid YAML: ${first.message.split('\n')[0]!}` } : null;
  return { tokens, documents, values: collectValues(tokens), lineCounter, error };
}

function collectValues(tokens: readonly CST.Token[]): SourceValue[] {
  const values: SourceValue[] = [];
  let document = -1;
  for (const token of tokens) {
    if (token.type !== 'document') continue;
    document += 1;
    if (token.value) values.push({ token: token.value, inFlow: false, document });
    CST.visit(token, (item, path) => {
      // The visitor starts at the document itself, whose value is already in.
      if (!item.value || path.length === 0) return;
      const inFlow = CST.visit.parentCollection(token, path).type === 'flow-collection';
      values.push({ token: item.value, inFlow, document });
    });
  }
  return values;
}

/** The offset of the first collection nested past MAX_NESTING, or null; walked with an explicit stack, as the point is to not recurse. */
function firstTooDeep(tokens: readonly CST.Token[]): number | null {
  let first: number | null = null;
  const pending: Array<[CST.Token, number]> = tokens.map((token) => [token, 0]);
  while (pending.length > 0) {
    const [token, depth] = pending.pop()!;
    if (token.type === 'document') {
      if (token.value) pending.push([token.value, depth]);
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth + 1 > MAX_NESTING) {
      if (first === null || token.offset < first) first = token.offset;
      continue;
    }
    for (const item of token.items) {
      if ('key' in item && item.key) pending.push([item.key, depth + 1]);
      if (item.value) pending.push([item.value, depth + 1]);
    }
  }
  return first;
}
