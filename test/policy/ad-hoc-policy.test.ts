import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { adHocPolicyProblems, compileAdHocPolicy, type AdHocPolicyOptions } from '../../src/policy/ad-hoc-policy.js';

describe('compileAdHocPolicy picks like a config policy', () => {
  const cases: Array<{ label: string; options: Omit<AdHocPolicyOptions, 'image'>; tags: string[]; pick: string | null }> = [
    { label: 'no strategy flag means the newest release', options: {}, tags: ['1.0.0', '2.0.0-rc.1', 'latest'], pick: '1.0.0' },
    { label: '--semver', options: { semver: '<2' }, tags: ['1.9.0', '2.0.0'], pick: '1.9.0' },
    { label: '--alphabetical desc', options: { alphabetical: 'desc' }, tags: ['b', 'a'], pick: 'a' },
    { label: '--numerical with --filter and --extract', options: { numerical: 'asc', filter: '^b-(\\d+)$', extract: '$1' }, tags: ['b-9', 'b-10', 'x'], pick: 'b-10' },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const policy = compileAdHocPolicy({ image: 'ghcr.io/acme/app', ...c.options });
      assert.equal(policy.evaluate(c.tags).pick?.tag ?? null, c.pick);
    });
  }

  it('takes the image and digest from the options', () => {
    const policy = compileAdHocPolicy({ image: 'ghcr.io/acme/app', digest: true });
    assert.deepEqual({ name: policy.name, image: policy.image, digest: policy.digest }, { name: 'scan', image: 'ghcr.io/acme/app', digest: true });
  });
});

describe('adHocPolicyProblems names flags', () => {
  const cases: Array<{ label: string; options: Omit<AdHocPolicyOptions, 'image'>; fields: string[] }> = [
    { label: 'fine', options: { semver: '^1' }, fields: [] },
    { label: 'bad --semver', options: { semver: '>=1 <<2' }, fields: ['--semver'] },
    { label: 'bad --numerical', options: { numerical: 'up' }, fields: ['--numerical'] },
    { label: 'bad --filter', options: { filter: '(' }, fields: ['--filter'] },
    { label: 'bad --extract', options: { filter: '^(a)$', extract: '$2' }, fields: ['--extract'] },
    { label: '--extract without --filter', options: { extract: '$1' }, fields: ['--extract'] },
    { label: 'two strategy flags', options: { semver: '*', alphabetical: 'asc' }, fields: [''] },
  ];
  for (const c of cases) {
    it(c.label, () => assert.deepEqual(adHocPolicyProblems({ image: 'app', ...c.options }).map((p) => p.field), c.fields));
  }

  it('compileAdHocPolicy throws InputError with the flag in the message', () => {
    assert.throws(
      () => compileAdHocPolicy({ image: 'app', filter: '^(a)$', extract: '$2' }),
      (err: unknown) => err instanceof InputError && err.code === 'POLICY_INVALID' && /^scan: --extract: "\$2" refers to group 2/.test(err.message),
    );
  });
});
