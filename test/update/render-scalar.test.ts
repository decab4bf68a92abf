import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { renderScalar } from '../../src/update/render-scalar.js';

describe('renderScalar', () => {
  const cases: Array<[label: string, style: Parameters<typeof renderScalar>[0], value: string, inFlow: boolean, expected: string]> = [
    ['plain stays plain', 'scalar', 'ghcr.io/acme/app:1.4.2', false, 'ghcr.io/acme/app:1.4.2'],
    ['plain number is quoted', 'scalar', '1.10', false, '"1.10"'],
    ['plain boolean is quoted', 'scalar', 'true', false, '"true"'],
    ['plain hex is quoted', 'scalar', '0x1F', false, '"0x1F"'],
    ['plain null is quoted', 'scalar', 'null', false, '"null"'],
    ['plain tilde is quoted', 'scalar', '~', false, '"~"'],
    ['YAML 1.1 boolean is quoted', 'scalar', 'on', false, '"on"'],
    ['YAML 1.1 sexagesimal is quoted', 'scalar', '1:20', false, '"1:20"'],
    ['YAML 1.1 timestamp is quoted', 'scalar', '2024-01-02', false, '"2024-01-02"'],
    ['semver with three parts needs no quotes', 'scalar', '1.10.0', false, '1.10.0'],
    ['indicator first is quoted', 'scalar', '*ref', false, '"*ref"'],
    ['comment lookalike is quoted', 'scalar', 'a #b', false, '"a #b"'],
    ['comma is fine in block context', 'scalar', 'a,b', false, 'a,b'],
    ['comma is quoted in flow context', 'scalar', 'a,b', true, '"a,b"'],
    ['empty is quoted', 'scalar', '', false, '""'],
    ['double stays double, escaped', 'double-quoted-scalar', 'say "hi" \\ now', false, '"say \\"hi\\" \\\\ now"'],
    ['double keeps a number-like value quoted', 'double-quoted-scalar', '1.10', false, '"1.10"'],
    ['single stays single, quote doubled', 'single-quoted-scalar', "it's", false, "'it''s'"],
    ['single with a control character falls back to double', 'single-quoted-scalar', 'a\tb', false, '"a\\tb"'],
  ];
  for (const [label, style, value, inFlow, expected] of cases) {
    it(label, () => {
      const rendered = renderScalar(style, value, inFlow);
      assert.equal(rendered, expected);
      const read = inFlow ? (parse(`[${rendered}]`) as unknown[])[0] : (parse(`k: ${rendered}`) as { k: unknown }).k;
      assert.equal(read, value, 'reads back as the same string');
    });
  }
});
