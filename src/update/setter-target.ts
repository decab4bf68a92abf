import type { CST } from 'yaml';
import type { MarkerField } from './parse-marker.js';

/** A plain, single- or double-quoted scalar token: the only kinds tagpilot rewrites. */
export type EditableScalar = CST.FlowScalar & { type: 'scalar' | 'single-quoted-scalar' | 'double-quoted-scalar' };

/** Whether a token is an EditableScalar: not an alias, block scalar or collection. */
export function isEditableScalar(token: CST.Token): token is EditableScalar {
  return token.type === 'scalar' || token.type === 'single-quoted-scalar' || token.type === 'double-quoted-scalar';
}

/** A scalar one of the finders wants to hold `to`, and on whose behalf. */
export interface SetterTarget {
  token: EditableScalar;
  policy: string;
  repository: string;
  field: MarkerField;
  to: string;
}

/** Something a finder could not do, at an offset into the file. */
export interface SourceProblem {
  offset: number;
  message: string;
}
