// Properties checked against npm `semver` and plain sorting as independent oracles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import semver from 'semver';
import type { PolicyConfig } from '../../src/config/schema.js';
import { compilePolicy, type Evaluation } from '../../src/policy/policy.js';
import { compareSemanticVersions, parseSemanticVersion } from '../../src/policy/semantic-version.js';

type Rule = Pick<PolicyConfig, 'semver' | 'alphabetical' | 'numerical' | 'filter'>;

function evaluate(rule: Rule, tags: readonly string[]): Evaluation {
  return compilePolicy({ name: 'prop', image: 'app', digest: false, ...rule }).evaluate(tags);
}

// Purely numeric or purely alphabetic identifiers, where npm's order and ours agree
// (ours differs only for digit runs inside alphanumerics: rc9 < rc10).
const identifier = fc.constantFrom('alpha', 'beta', 'rc', '0', '1', '2', '9', '10', '11');
const part = fc.integer({ min: 0, max: 3 });
const core = fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`);
const prerelease = fc.array(identifier, { minLength: 1, maxLength: 3 }).map((ids) => ids.join('.'));

const versionTag = fc
  .record({
    v: fc.boolean(),
    core,
    pre: fc.option(prerelease, { nil: undefined }),
    build: fc.option(fc.constantFrom('b1', 'b2', 'exp.sha.1'), { nil: undefined }),
  })
  .map(({ v, core, pre, build }) => `${v ? 'v' : ''}${core}${pre ? `-${pre}` : ''}${build ? `+${build}` : ''}`);
// Short enough that any alphanumeric identifier it forms has single-digit runs.
const junkTag = fc.oneof(
  fc.constantFrom('latest', 'main', '1.2', '01.2.3', 'V1.0.0', '1.0.0.0', ''),
  fc.string({ unit: fc.constantFrom('0', '1', '.', '-', '+', 'v', 'a'), maxLength: 8 }),
);
const semverTags = fc.array(fc.oneof({ weight: 4, arbitrary: versionTag }, { weight: 1, arbitrary: junkTag }), { maxLength: 30 });

/** One `||` alternative and whether it names a prerelease (so admits prereleases). */
interface Alternative {
  text: string;
  namesPrerelease: boolean;
}
const lowerBound = fc
  .tuple(fc.constantFrom('>=', '>', '^', '~', '='), core, fc.option(fc.oneof(fc.constant('0'), prerelease), { nil: undefined }))
  .map(([op, v, pre]) => ({ text: `${op}${v}${pre === undefined ? '' : `-${pre}`}`, namesPrerelease: pre !== undefined }))
  // npm semver is the oracle here; of the ranges made here, Masterminds (which policies follow) reads
  // only `~0.0.0` otherwise: any version, not <0.1.0. Masterminds' own table checks that case
  // (masterminds-range.test.ts).
  .filter((bound) => !/^~v?0\.0\.0$/.test(bound.text));
const alternative: fc.Arbitrary<Alternative> = fc.oneof(
  lowerBound,
  fc.tuple(lowerBound, fc.constantFrom('<', '<='), core).map(([low, op, v]) => ({ ...low, text: `${low.text} ${op}${v}` })),
  fc.tuple(part, fc.constantFrom('x', '*')).map(([major, x]) => ({ text: `${major}.${x}`, namesPrerelease: false })),
  fc.tuple(core, core).map(([a, b]) => ({ text: `${a} - ${b}`, namesPrerelease: false })),
  fc.constant({ text: '*', namesPrerelease: false }),
);
const range = fc.array(alternative, { minLength: 1, maxLength: 2 });
const rangeText = (alternatives: Alternative[]): string => alternatives.map((a) => a.text).join(' || ');

function oracleInRange(tag: string, alternatives: Alternative[]): boolean {
  if (semver.valid(tag) === null) return false;
  const isPrerelease = semver.prerelease(tag) !== null;
  return alternatives.some((a) => (!isPrerelease || a.namesPrerelease) && semver.satisfies(tag, a.text, { includePrerelease: true }));
}

function oracleBest<T>(tags: readonly string[], keyOf: (tag: string) => T | null, compare: (a: T, b: T) => number): string | null {
  let best: { tag: string; key: T } | null = null;
  for (const tag of tags) {
    const key = keyOf(tag);
    if (key === null) continue;
    if (best === null) {
      best = { tag, key };
      continue;
    }
    const c = compare(key, best.key);
    if (c > 0 || (c === 0 && tag > best.tag)) best = { tag, key };
  }
  return best?.tag ?? null;
}

function withPermutation<T>(values: fc.Arbitrary<T[]>): fc.Arbitrary<[T[], T[]]> {
  return values.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length })));
}

function assertStatsAddUp(evaluation: Evaluation): void {
  const { seen, filtered, unparsable, outOfRange, candidates } = evaluation.stats;
  assert.equal(filtered + unparsable + outOfRange + candidates, seen);
  assert.equal(evaluation.reason === null, evaluation.pick !== null);
  assert.equal(candidates > 0, evaluation.pick !== null);
}

describe('semver policy properties', () => {
  it('the evaluation does not depend on the order of the tags', () => {
    fc.assert(
      fc.property(range, withPermutation(semverTags), (alternatives, [tags, shuffled]) => {
        const rule = { semver: rangeText(alternatives) };
        assert.deepEqual(evaluate(rule, shuffled), evaluate(rule, tags));
      }),
      { numRuns: 300 },
    );
  });

  it('a pick always satisfies the range (npm semver, prereleases only where the range names one)', () => {
    fc.assert(
      fc.property(range, semverTags, (alternatives, tags) => {
        const text = rangeText(alternatives);
        const pick = evaluate({ semver: text }, tags).pick;
        if (pick === null) return;
        assert.notEqual(semver.valid(pick.tag), null, `${pick.tag} is strict semver`);
        const isPrerelease = semver.prerelease(pick.tag) !== null;
        assert.ok(semver.satisfies(pick.tag, text, { includePrerelease: isPrerelease }), `${pick.tag} in ${text}`);
        if (isPrerelease) assert.ok(alternatives.some((a) => a.namesPrerelease), `${text} names a prerelease`);
      }),
      { numRuns: 300 },
    );
  });

  it('the pick is the highest in-range version, ties to the greater tag, as npm semver orders them', () => {
    fc.assert(
      fc.property(range, semverTags, (alternatives, tags) => {
        const evaluation = evaluate({ semver: rangeText(alternatives) }, tags);
        const want = oracleBest(tags, (t) => (oracleInRange(t, alternatives) ? t : null), (a, b) => semver.compare(a, b));
        assert.equal(evaluation.pick?.tag ?? null, want);
        assertStatsAddUp(evaluation);
      }),
      { numRuns: 500 },
    );
  });

  it('release versions are in range exactly when npm semver.satisfies says so', () => {
    const release = fc.tuple(fc.boolean(), core).map(([v, c]) => `${v ? 'v' : ''}${c}`);
    fc.assert(
      fc.property(range, release, (alternatives, tag) => {
        const text = rangeText(alternatives);
        assert.equal(evaluate({ semver: text }, [tag]).pick !== null, semver.satisfies(tag, text), `${tag} in ${text}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('strict semver agrees with npm semver', () => {
  it('parses exactly the strings npm semver accepts in strict mode (no whitespace)', () => {
    const text = fc.string({ unit: fc.constantFrom('0', '1', '2', '.', '-', '+', 'v', 'V', 'a', '='), maxLength: 14 });
    fc.assert(
      fc.property(text, (s) => {
        assert.equal(parseSemanticVersion(s) !== null, semver.valid(s) !== null, JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders versions as npm semver does when identifiers are purely numeric or alphabetic', () => {
    fc.assert(
      fc.property(versionTag, versionTag, (a, b) => {
        assert.equal(Math.sign(compareSemanticVersions(parseSemanticVersion(a)!, parseSemanticVersion(b)!)), semver.compare(a, b));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('numerical and alphabetical properties', () => {
  const numberText = fc.oneof(
    fc.tuple(fc.constantFrom('', '0', '00'), fc.nat({ max: 200 })).map(([zeros, n]) => `${zeros}${n}`),
    fc.tuple(fc.nat({ max: 20 }), fc.nat({ max: 99 })).map(([i, f]) => `${i}.${f}`),
    fc.integer({ min: -50, max: -1 }).map(String),
    fc.constantFrom('latest', '', '1e3', '0x10', '+3', '.5'),
  );
  const order = fc.constantFrom<'asc' | 'desc'>('asc', 'desc');

  it('numerical picks the greatest (asc) or least (desc) number, whatever the order', () => {
    fc.assert(
      fc.property(order, withPermutation(fc.array(numberText, { maxLength: 25 })), (direction, [tags, shuffled]) => {
        const evaluation = evaluate({ numerical: direction }, tags);
        const sign = direction === 'asc' ? 1 : -1;
        const want = oracleBest(
          tags,
          (t) => (/^-?\d+(\.\d+)?$/.test(t) ? Number(t) : null),
          (a, b) => sign * (a - b),
        );
        assert.equal(evaluation.pick?.tag ?? null, want);
        assert.deepEqual(evaluate({ numerical: direction }, shuffled), evaluation);
        assertStatsAddUp(evaluation);
      }),
      { numRuns: 300 },
    );
  });

  it('alphabetical with an extract ranks the extract and breaks ties by tag, whatever the order', () => {
    const tag = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '-'), maxLength: 5 });
    const rule = (direction: 'asc' | 'desc'): Rule => ({ alphabetical: direction, filter: { pattern: '^(\\w)(\\w*)', extract: '$1' } });
    fc.assert(
      fc.property(order, withPermutation(fc.array(tag, { maxLength: 25 })), (direction, [tags, shuffled]) => {
        const evaluation = evaluate(rule(direction), tags);
        const sign = direction === 'asc' ? 1 : -1;
        const want = oracleBest(
          tags,
          (t) => /^\w/.exec(t)?.[0] ?? null,
          (a, b) => sign * (a < b ? -1 : a > b ? 1 : 0),
        );
        assert.equal(evaluation.pick?.tag ?? null, want);
        assert.deepEqual(evaluate(rule(direction), shuffled), evaluation);
        assertStatsAddUp(evaluation);
      }),
      { numRuns: 300 },
    );
  });

  it('no list of strings makes any policy throw', () => {
    const rules: Rule[] = [
      { semver: '>=1.0.0-0' },
      { numerical: 'asc', filter: { pattern: '(\\d*)$', extract: '$1' } },
      { alphabetical: 'desc', filter: { pattern: '^(?<x>.)?', extract: 'p${x}' } },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...rules), fc.array(fc.string({ maxLength: 12 }), { maxLength: 20 }), (rule, tags) => {
        assertStatsAddUp(evaluate(rule, tags));
      }),
    );
  });
});
