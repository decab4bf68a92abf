// SPEC §2 numerical: values as exact decimals; a value that is not a number is skipped, not fatal.
import { compareDecimalNumbers, parseDecimalNumber, type DecimalNumber } from './decimal-number.js';
import { Skip } from './skip.js';
import { parseSortOrder, sortOrderProblem } from './sort-order.js';
import type { Ranker, Strategy } from './strategy.js';

/** `numerical: asc|desc`; `asc` picks the greatest number. */
export const numericalStrategy: Strategy = {
  compile(option) {
    const order = parseSortOrder(option);
    if (order === null) return { problem: sortOrderProblem(option) };
    const ranker: Ranker<DecimalNumber> = {
      parsesAs: 'a number',
      range: null,
      rank: (value) => parseDecimalNumber(value) ?? Skip.unparsable,
      compare: order === 'asc' ? compareDecimalNumbers : (a, b) => compareDecimalNumbers(b, a),
    };
    return { ranker };
  },
};
