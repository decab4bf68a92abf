import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareDecimalNumbers, parseDecimalNumber } from '../../src/policy/decimal-number.js';

describe('parseDecimalNumber', () => {
  const cases: Array<{ label: string; text: string; want: ReturnType<typeof parseDecimalNumber> }> = [
    { label: 'integer', text: '42', want: { negative: false, integer: '42', fraction: '' } },
    { label: 'leading zeros dropped', text: '007', want: { negative: false, integer: '7', fraction: '' } },
    { label: 'zero', text: '0', want: { negative: false, integer: '', fraction: '' } },
    { label: 'negative zero is zero', text: '-0.0', want: { negative: false, integer: '', fraction: '' } },
    { label: 'decimal', text: '1.50', want: { negative: false, integer: '1', fraction: '5' } },
    { label: 'negative', text: '-3.25', want: { negative: true, integer: '3', fraction: '25' } },
    { label: 'longer than a double holds', text: '12345678901234567890', want: { negative: false, integer: '12345678901234567890', fraction: '' } },
    { label: 'empty is not 0', text: '', want: null },
    { label: 'hex', text: '0x1f', want: null },
    { label: 'exponent', text: '1e3', want: null },
    { label: 'plus sign', text: '+1', want: null },
    { label: 'trailing dot', text: '1.', want: null },
    { label: 'leading dot', text: '.5', want: null },
    { label: 'whitespace', text: ' 1', want: null },
    { label: 'Infinity', text: 'Infinity', want: null },
    { label: 'NaN', text: 'NaN', want: null },
    { label: 'two dots', text: '1.2.3', want: null },
    { label: 'digits then letters', text: '12abc', want: null },
  ];
  for (const c of cases) {
    it(c.label, () => assert.deepEqual(parseDecimalNumber(c.text), c.want));
  }
});

describe('compareDecimalNumbers', () => {
  const ordered: Array<{ label: string; lower: string; higher: string }> = [
    { label: 'by value, not by length of text', lower: '9', higher: '10' },
    { label: 'leading zeros ignored', lower: '010', higher: '11' },
    { label: 'fractions by value (1.10 is 1.1)', lower: '1.10', higher: '1.5' },
    { label: 'fraction above integer', lower: '2', higher: '2.01' },
    { label: 'negatives below zero', lower: '-1', higher: '0' },
    { label: 'larger negative is lower', lower: '-10', higher: '-9.5' },
    { label: 'beyond 2^53 exactly', lower: '9007199254740992', higher: '9007199254740993' },
  ];
  for (const c of ordered) {
    it(c.label, () => {
      const lower = parseDecimalNumber(c.lower)!;
      const higher = parseDecimalNumber(c.higher)!;
      assert.ok(compareDecimalNumbers(lower, higher) < 0);
      assert.ok(compareDecimalNumbers(higher, lower) > 0);
    });
  }

  const equal: Array<{ label: string; a: string; b: string }> = [
    { label: 'padded and plain', a: '007', b: '7' },
    { label: 'trailing fraction zeros', a: '1.500', b: '1.5' },
    { label: 'negative and positive zero', a: '-0', b: '0.000' },
  ];
  for (const c of equal) {
    it(c.label, () => assert.equal(compareDecimalNumbers(parseDecimalNumber(c.a)!, parseDecimalNumber(c.b)!), 0));
  }
});
