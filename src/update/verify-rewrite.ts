import { Composer, Parser, visit } from 'yaml';

/** A scalar as written: where its new source starts, the string it must read as, and its line. */
export interface WrittenScalar {
  offset: number;
  value: string;
  line: number;
}

/**
 * Reads the edited text back and returns the first written scalar that does not parse as the
 * intended string, or near which the file stops parsing; null when every edit reads back exactly.
 * A last guard against a quoting rule missed, so a bad edit is refused instead of committed.
 */
export function findMisreadScalar(
  text: string,
  written: readonly WrittenScalar[],
): { scalar: WrittenScalar; message: string } | null {
  if (written.length === 0) return null;
  const composer = new Composer({ keepSourceTokens: true });
  const documents = [...composer.compose(new Parser().parse(text))];
  const error = [...documents.flatMap((doc) => doc.errors), ...composer.streamInfo().errors][0];
  if (error) {
    const scalar = written.findLast((w) => w.offset <= error.pos[0]) ?? written[0]!;
    return { scalar, message: `the edited file would not parse (${error.message.split('\n')[0]}); file left unchanged` };
  }
  const values = new Map<number, unknown>();
  for (const document of documents) {
    visit(document, {
      Scalar(_, node) {
        if (node.srcToken) values.set(node.srcToken.offset, node.value);
      },
    });
  }
  const scalar = written.find((w) => values.get(w.offset) !== w.value);
  return scalar ? { scalar, message: `${JSON.stringify(scalar.value)} would not read back as that string; file left unchanged` } : null;
}
