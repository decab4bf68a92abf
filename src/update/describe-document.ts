import { isMap } from 'yaml';
import type { Document } from 'yaml';

/** Which document of a file a change is in: its `kind` and `metadata.name` when it has them. */
export interface DocumentRef {
  kind?: string;
  name?: string;
  index: number;
}

/** Names a document for the change list, leaving out what it does not say. */
export function describeDocument(document: Document.Parsed | undefined, index: number): DocumentRef {
  if (!document || !isMap(document.contents)) return { index };
  const kind = document.get('kind');
  const name = document.getIn(['metadata', 'name']);
  return {
    ...(typeof kind === 'string' && { kind }),
    ...(typeof name === 'string' && { name }),
    index,
  };
}
