// The numerical strategy's number grammar, compared exactly (no float rounding, no 2^53 limit).

/** A parsed decimal, normalised so that equal numbers have equal fields. */
export interface DecimalNumber {
  readonly negative: boolean;
  /** Integer digits without leading zeros; '' for zero. */
  readonly integer: string;
  /** Fraction digits without trailing zeros; '' for none. */
  readonly fraction: string;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * The number a value spells, or null. Grammar: optional `-`, digits, optional `.digits`. Leading
 * zeros are fine (`007` is 7, as zero-padded build numbers need); '', `+1`, `1.`, `.5`, `1e3`,
 * `0x1f`, `Infinity` and whitespace are not numbers.
 */
export function parseDecimalNumber(text: string): DecimalNumber | null {
  const m = DECIMAL.exec(text);
  if (m === null) return null;
  const integer = stripLeadingZeros(m[2]!);
  const fraction = m[3] === undefined ? '' : stripTrailingZeros(m[3]);
  // -0 and 0 are the same number.
  const negative = m[1] === '-' && (integer !== '' || fraction !== '');
  return { negative, integer, fraction };
}

/** Numeric order: negative, 0 or positive. */
export function compareDecimalNumbers(a: DecimalNumber, b: DecimalNumber): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  const magnitude = compareMagnitudes(a, b);
  return a.negative ? -magnitude : magnitude;
}

function compareMagnitudes(a: DecimalNumber, b: DecimalNumber): number {
  if (a.integer.length !== b.integer.length) return a.integer.length < b.integer.length ? -1 : 1;
  if (a.integer !== b.integer) return a.integer < b.integer ? -1 : 1;
  // Without trailing zeros, fraction digit strings order like the fractions they spell.
  return a.fraction < b.fraction ? -1 : a.fraction > b.fraction ? 1 : 0;
}

function stripLeadingZeros(digits: string): string {
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  return start === 0 ? digits : digits.slice(start);
}

function stripTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return end === digits.length ? digits : digits.slice(0, end);
}
