// Which tags reverts hold back (SPEC §4), over hand-made histories.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCommitMessage } from '../../src/git/commit-message.js';
import { findHeldBackTags, type ScannedCommit } from '../../src/git/held-back-tags.js';

const sha = (n: number) => n.toString(16).padStart(40, '0');
const ours = (n: number, policy: string, to: string): ScannedCommit => ({
  oid: sha(n),
  message: defaultCommitMessage('fleet', [{ file: 'a.yaml', policy, repository: 'ghcr.io/acme/app', from: '1.0.0', to }]),
});
const revert = (n: number, of: number): ScannedCommit => ({ oid: sha(n), message: `Revert "x"\n\nThis reverts commit ${sha(of)}.\n` });
const human = (n: number): ScannedCommit => ({ oid: sha(n), message: 'Human edit\n' });

describe('findHeldBackTags', () => {
  const cases: Array<[string, ScannedCommit[], Array<[string, string]>, number]> = [
    ['a plain history holds nothing', [ours(1, 'app', '1.2.3'), human(2)], [], 0],
    ['a reverted tagpilot commit holds its tag for its policy', [revert(3, 1), human(2), ours(1, 'app', '1.2.3')], [['app', '1.2.3']], 0],
    ['a digest-pinned version holds its tag', [revert(3, 1), ours(1, 'app', '1.2.3@sha256:abcd')], [['app', '1.2.3']], 0],
    ['a reverted revert releases the tag', [revert(4, 3), revert(3, 1), ours(1, 'app', '1.2.3')], [], 0],
    ['a re-reverted revert holds again', [revert(5, 4), revert(4, 3), revert(3, 1), ours(1, 'app', '1.2.3')], [['app', '1.2.3']], 0],
    ['a revert of a human commit holds nothing', [revert(3, 2), human(2)], [], 0],
    ['a revert of a commit outside the history is reported', [revert(3, 99)], [], 1],
  ];
  for (const [label, history, held, untraced] of cases) {
    it(label, () => {
      const result = findHeldBackTags(history);
      assert.deepEqual(result.held.map((h) => [h.policy, h.tag]), held);
      assert.equal(result.untraced.length, untraced);
    });
  }

  it('reports a commit released by a reverted revert even when the commit itself is out of sight', () => {
    const result = findHeldBackTags([revert(4, 3), revert(3, 1)]);
    assert.deepEqual(result.released, [sha(1)]);
    assert.deepEqual(result.held, []);
    assert.deepEqual(result.untraced, [], 'the moot revert needs no lookup');
  });

  it('names the reverted commit and the revert', () => {
    const [hold] = findHeldBackTags([revert(3, 1), ours(1, 'app', '1.2.3')]).held;
    assert.deepEqual(hold, { policy: 'app', repository: 'ghcr.io/acme/app', tag: '1.2.3', commit: sha(1), revertedBy: sha(3) });
  });
});
