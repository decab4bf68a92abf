import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyConfig } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { compilePolicy, policyProblems } from '../../src/policy/policy.js';

type Rule = Partial<Pick<PolicyConfig, 'semver' | 'alphabetical' | 'numerical' | 'filter'>>;

function config(rule: Rule): PolicyConfig {
  return { name: 'app-stable', image: 'app', digest: false, ...rule };
}

describe('policyProblems', () => {
  const cases: Array<{ label: string; rule: Rule; want: Array<{ field: string; message: RegExp }> }> = [
    { label: 'a good semver policy', rule: { semver: '>=1.0.0 <2.0.0' }, want: [] },
    { label: 'a good filtered numerical policy', rule: { numerical: 'asc', filter: { pattern: '^main-(?<n>\\d+)$', extract: '$n' } }, want: [] },
    { label: 'bad range', rule: { semver: '>=1 <<2' }, want: [{ field: 'semver', message: /invalid semver range ">=1 <<2"/ }] },
    { label: 'blank range', rule: { semver: '  ' }, want: [{ field: 'semver', message: /expected a semver range/ }] },
    { label: 'bad alphabetical order', rule: { alphabetical: 'up' as 'asc' }, want: [{ field: 'alphabetical', message: /expected asc or desc, got "up"/ }] },
    { label: 'order is case-sensitive', rule: { numerical: 'ASC' as 'asc' }, want: [{ field: 'numerical', message: /expected asc or desc, got "ASC"/ }] },
    { label: 'bad pattern', rule: { semver: '*', filter: { pattern: '(unclosed' } }, want: [{ field: 'filter.pattern', message: /invalid regular expression/ }] },
    { label: 'group number beyond the pattern', rule: { semver: '*', filter: { pattern: '^(a)(b)$', extract: '$3' } }, want: [{ field: 'filter.extract', message: /refers to group 3/ }] },
    { label: 'group name not in the pattern', rule: { semver: '*', filter: { pattern: '^(?<ts>\\d+)$', extract: '$build' } }, want: [{ field: 'filter.extract', message: /group named "build"/ }] },
    { label: '$1x hint', rule: { semver: '*', filter: { pattern: '^(\\d+)$', extract: '$1x' } }, want: [{ field: 'filter.extract', message: /\$\{1\}x/ }] },
    { label: 'no strategy', rule: {}, want: [{ field: '', message: /expected exactly one of semver, alphabetical, numerical; got none/ }] },
    { label: 'two strategies', rule: { semver: '*', numerical: 'asc' }, want: [{ field: '', message: /got semver and numerical/ }] },
    {
      label: 'every problem at once, not just the first',
      rule: { semver: 'latest', filter: { pattern: '^(a)$', extract: '$2' } },
      want: [
        { field: 'semver', message: /invalid semver range "latest"/ },
        { field: 'filter.extract', message: /refers to group 2/ },
      ],
    },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const got = policyProblems(config(c.rule));
      assert.deepEqual(got.map((p) => p.field), c.want.map((w) => w.field));
      got.forEach((p, i) => assert.match(p.message, c.want[i]!.message));
    });
  }

  it('accepts what the config schema produces', () => {
    const parsed = PolicyConfig.parse({ name: 'app', image: 'app', semver: '^1.0.0', filter: { pattern: '^v(.*)$', extract: '$1' } });
    assert.deepEqual(policyProblems(parsed), []);
  });
});

describe('compilePolicy rejects a bad policy at load time', () => {
  it('throws InputError naming the policy and the field', () => {
    assert.throws(
      () => compilePolicy(config({ semver: '*', filter: { pattern: '^(a)$', extract: '$nope' } })),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.code, 'POLICY_INVALID');
        assert.match(err.message, /^policy "app-stable": filter\.extract: "\$nope" refers to a group named "nope"/);
        return true;
      },
    );
  });

  it('names the range field for a bad range', () => {
    assert.throws(() => compilePolicy(config({ semver: '>=x.y' })), /^InputError: policy "app-stable": semver: invalid semver range/);
  });

  it('a compiled policy evaluates any tags without throwing', () => {
    const policy = compilePolicy(config({ semver: '>=1.0.0', filter: { pattern: '^(?<v>.*)$', extract: '$v' } }));
    assert.doesNotThrow(() => policy.evaluate(['', ' ', '1.0.0\n', '\u0000', 'x'.repeat(10_000), '99999999999999999999.0.0']));
  });
});
