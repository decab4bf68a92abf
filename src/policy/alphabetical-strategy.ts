// SPEC §2 alphabetical: plain string order, `asc` picks the greatest, `desc` the least.
import { parseSortOrder, sortOrderProblem } from './sort-order.js';
import type { Ranker, Strategy } from './strategy.js';
import { compareStrings } from './string-order.js';

/** `alphabetical: asc|desc`. */
export const alphabeticalStrategy: Strategy = {
  compile(option) {
    const order = parseSortOrder(option);
    if (order === null) return { problem: sortOrderProblem(option) };
    const ranker: Ranker<string> = {
      parsesAs: null,
      range: null,
      rank: (value) => value,
      compare: order === 'asc' ? compareStrings : (a, b) => compareStrings(b, a),
    };
    return { ranker };
  },
};
