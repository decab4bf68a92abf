// Flux's alphabetical and numerical policy tables (fluxcd/image-reflector-controller
// internal/policy/alphabetical_test.go TestAlphabetical_Latest and numerical_test.go
// TestNumerical_Latest), as data: tagpilot must pick what Flux picks. Flux shuffles its lists;
// here every list is tried forwards and backwards. One deliberate difference, in the README: a tag
// that is not a number is skipped (and counted), where Flux fails the whole policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicyRule, type PolicyRule } from '../../src/policy/policy.js';

interface Case {
  label: string;
  rule: PolicyRule;
  tags: string[];
  pick: string | null;
}

function table(name: string, cases: Case[]): void {
  describe(name, () => {
    for (const c of cases) {
      it(c.label, () => {
        const compiled = compilePolicyRule(c.rule);
        assert.ok('evaluate' in compiled);
        assert.equal(compiled.evaluate(c.tags).pick?.tag ?? null, c.pick);
        assert.equal(compiled.evaluate([...c.tags].reverse()).pick?.tag ?? null, c.pick, 'the order tags are listed in does not matter');
      });
    }
  });
}

const UBUNTU = ['16.04', '16.04.1', '16.10', '20.04', '20.10'];
const CODENAMES = ['xenial', 'yakkety', 'zesty', 'artful', 'bionic'];
const TIMESTAMPS = ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'];

table('Flux TestAlphabetical_Latest', [
  { label: 'Ubuntu CalVer', rule: { alphabetical: 'asc' }, tags: UBUNTU, pick: '20.10' },
  { label: 'Ubuntu CalVer descending', rule: { alphabetical: 'desc' }, tags: UBUNTU, pick: '16.04' },
  { label: 'Ubuntu code names', rule: { alphabetical: 'asc' }, tags: CODENAMES, pick: 'zesty' },
  { label: 'Ubuntu code names descending', rule: { alphabetical: 'desc' }, tags: CODENAMES, pick: 'artful' },
  { label: 'Timestamps', rule: { alphabetical: 'asc' }, tags: TIMESTAMPS, pick: '1606364286' },
  { label: 'Timestamps desc', rule: { alphabetical: 'desc' }, tags: TIMESTAMPS, pick: '1606234201' },
  { label: 'Timestamps with prefix', rule: { alphabetical: 'asc' }, tags: TIMESTAMPS.map((t) => `rel-${t}`), pick: 'rel-1606364286' },
  { label: 'Empty version list', rule: { alphabetical: 'asc' }, tags: [], pick: null },
]);

table('Flux TestNumerical_Latest', [
  { label: 'With unordered list of integers ascending', rule: { numerical: 'asc' }, tags: ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91'], pick: '73' },
  { label: 'With unordered list of integers descending', rule: { numerical: 'desc' }, tags: ['5', '-8', '-78', '25', '70', '-4', '80', '92', '-20', '-24'], pick: '-78' },
  {
    label: 'With unordered list of floats ascending',
    rule: { numerical: 'asc' },
    tags: ['47.40896403322944', '-27.8520927455902', '-27.930666514224427', '-31.352485948094568', '-50.41072694704882', '-21.962849842263736', '24.71884721436865', '-39.99177354004344', '53.47333823144817', '3.2008658570411086'],
    pick: '53.47333823144817',
  },
  {
    label: 'With unordered list of floats descending',
    rule: { numerical: 'desc' },
    tags: ['-65.27202780220686', '57.82948329142309', '22.40184684363291', '-86.36934305697784', '-90.29082099756083', '-12.041712603564264', '77.70488240399305', '-38.98425003883552', '16.06867070412028', '53.735674335181216'],
    pick: '-90.29082099756083',
  },
  { label: 'With Unix Timestamps ascending', rule: { numerical: 'asc' }, tags: TIMESTAMPS, pick: '1606364286' },
  { label: 'With Unix Timestamps descending', rule: { numerical: 'desc' }, tags: TIMESTAMPS, pick: '1606234201' },
  { label: 'With single value ascending', rule: { numerical: 'asc' }, tags: ['1'], pick: '1' },
  { label: 'With single value descending', rule: { numerical: 'desc' }, tags: ['1'], pick: '1' },
  // Flux: an error for the whole policy. tagpilot: "1a" and "b" are skipped and reported (README deviations).
  { label: 'With invalid numerical value (deviation: skipped, not an error)', rule: { numerical: 'asc' }, tags: ['0', '1a', 'b'], pick: '0' },
  { label: 'Empty version list', rule: { numerical: 'asc' }, tags: [], pick: null },
]);
