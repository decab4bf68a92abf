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
  /** The first parse error, if any: such a file is never edited. */
  error: { offset: number; message: string } | null;
}

/** Parses a YAML stream for editing in place. */
export function readYamlStream(text: string): YamlStream {
  const lineCounter = new LineCounter();
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const composer = new Composer({ keepSourceTokens: true });
  const documents = [...composer.compose(tokens)];
  const errors = [...documents.flatMap((doc) => doc.errors), ...composer.streamInfo().errors];
  const first = errors.sort((a, b) => a.pos[0] - b.pos[0])[0];
  const error = first ? { offset: first.pos[0], message: first.message.split('\n')[0]! } : null;
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
