// Which tags a promotion may take (SPEC §2 promotion), over hand-made source histories with explicit times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedCommit } from '../../src/git/branch-history.js';
import { defaultCommitMessage } from '../../src/git/commit-message.js';
import { promotionCandidates } from '../../src/promotion/promotion-candidates.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 10, 12);
const REPO = 'ghcr.io/acme/app';
const sha = (n: number) => n.toString(16).padStart(40, '0');
/** A commit `hoursAgo` before NOW. */
const at = (hoursAgo: number) => (NOW - hoursAgo * HOUR) / 1000;
const ours = (n: number, hoursAgo: number, to: string, options: { automation?: string; policy?: string; repository?: string } = {}): RecordedCommit => ({
  oid: sha(n),
  time: at(hoursAgo),
  message: defaultCommitMessage(options.automation ?? 'staging', [
    { file: 'staging/app.yaml', policy: options.policy ?? 'app-staging', repository: options.repository ?? REPO, from: '1.0.0', to },
  ]),
});
const revert = (n: number, hoursAgo: number, of: number): RecordedCommit => ({ oid: sha(n), time: at(hoursAgo), message: `Revert "x"\n\nThis reverts commit ${sha(of)}.\n` });

describe('promotionCandidates', () => {
  const query = { source: 'staging', repository: REPO, soakMs: 24 * HOUR, now: NOW };
  // label, history, eligible [tag, soaked hours], waiting [tag, soaked hours, left hours]
  const cases: Array<[string, RecordedCommit[], Array<[string, number]>, Array<[string, number, number]>]> = [
    ['a tag committed 25 h ago has soaked', [ours(1, 25, '1.4.0')], [['1.4.0', 25]], []],
    ['a tag committed 2 h ago waits 22 h more', [ours(1, 2, '1.4.0')], [], [['1.4.0', 2, 22]]],
    ['exactly the soak is enough', [ours(1, 24, '1.4.0')], [['1.4.0', 24]], []],
    ['a tag replaced after 30 h still counts as soaked', [ours(1, 40, '1.4.0'), ours(2, 10, '1.5.0')], [['1.4.0', 30]], [['1.5.0', 10, 14]]],
    ['a tag replaced after 5 h never soaked and is not waiting', [ours(1, 40, '1.4.0'), ours(2, 35, '1.5.0')], [['1.5.0', 35]], []],
    ['a reverted tag is never promoted', [ours(1, 40, '1.4.0'), revert(2, 39, 1)], [], []],
    ['a reverted revert releases the tag', [ours(1, 40, '1.4.0'), revert(2, 39, 1), revert(3, 38, 2)], [['1.4.0', 40]], []],
    [
      'a reverted replacement does not end the stay',
      [ours(1, 40, '1.4.0'), ours(2, 30, '1.5.0'), revert(3, 29, 2)],
      [['1.4.0', 40]],
      [],
    ],
    ['another automation on the same branch is not the source', [ours(1, 40, '1.4.0', { automation: 'prod', policy: 'app-prod' })], [], []],
    ['another repository is not promoted', [ours(1, 40, '2.0.0', { repository: 'ghcr.io/acme/other' })], [], []],
    ['a digest-pinned version promotes its tag', [ours(1, 30, '1.4.0@sha256:' + 'a'.repeat(64))], [['1.4.0', 30]], []],
    ['a digest-only change is not a tag', [ours(1, 30, 'sha256:' + 'a'.repeat(64))], [], []],
    ['the same tag committed again does not restart its clock', [ours(1, 30, '1.4.0'), ours(2, 5, '1.4.0')], [['1.4.0', 30]], []],
    [
      'two policies of the source on one repository each keep their own tag on the branch',
      [ours(1, 30, '1.4.0', { policy: 'a' }), ours(2, 28, '2.0.0-rc.1', { policy: 'b' })],
      [['1.4.0', 30], ['2.0.0-rc.1', 28]],
      [],
    ],
  ];
  for (const [label, history, eligible, waiting] of cases) {
    it(label, () => {
      const result = promotionCandidates(history, query);
      assert.deepEqual(result.eligible.map((e) => [e.tag, e.soakedMs / HOUR]), eligible);
      assert.deepEqual(result.waiting.map((w) => [w.tag, w.soakedMs / HOUR, w.leftMs / HOUR]), waiting);
    });
  }

  it('names the source commit and when the tag arrived', () => {
    const [entry] = promotionCandidates([ours(7, 26, '1.4.0')], query).eligible;
    assert.deepEqual(entry, { tag: '1.4.0', since: NOW - 26 * HOUR, soakedMs: 26 * HOUR, commit: sha(7) });
  });

  it('soak 0 promotes as soon as the source has committed', () => {
    const result = promotionCandidates([ours(1, 0, '1.4.0')], { ...query, soakMs: 0 });
    assert.deepEqual(result.eligible.map((e) => e.tag), ['1.4.0']);
  });

  it('says when the next waiting tag becomes due', () => {
    const result = promotionCandidates([ours(1, 40, '1.4.0', { policy: 'a' }), ours(2, 3, '1.5.0', { policy: 'b' }), ours(3, 20, '1.6.0', { policy: 'c' })], query);
    assert.equal(result.nextDue, NOW + 4 * HOUR);
    assert.equal(promotionCandidates([ours(1, 40, '1.4.0')], query).nextDue, null);
  });
});
