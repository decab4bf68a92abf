// How a promoting commit reads (SPEC §2 promotion, §4): where the tag comes from, and a trailer to follow it back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCommitMessage, readTagpilotCommit, withTrailers, type CommitChange, type PromotionNote } from '../../src/git/commit-message.js';
import { formatSoak } from '../../src/promotion/format-soak.js';
import { promotionNotes } from '../../src/promotion/promotion-notes.js';

const SHA = 'a'.repeat(40);
const change = (repository: string, to: string, policy = 'app-prod'): CommitChange => ({ file: 'prod/app.yaml', policy, repository, from: '1.0.0', to });
const note = (repository: string, tag: string): PromotionNote => ({ repository, tag, from: 'fleet-staging', commit: SHA, after: '26h' });

describe('promoting commit messages', () => {
  it('names one promotion in the subject and its source commit in a trailer', () => {
    const message = defaultCommitMessage('fleet-prod', [change('ghcr.io/acme/app', '1.4.0')], [note('ghcr.io/acme/app', '1.4.0')]);
    assert.equal(message.split('\n')[0], 'Promote ghcr.io/acme/app 1.4.0 from fleet-staging after 26h');
    assert.match(message, new RegExp(`\\nTagpilot-Automation: fleet-prod\\nTagpilot-Promoted-From: fleet-staging@${SHA}\\n$`));
    assert.deepEqual(readTagpilotCommit(message)?.changes, [{ policy: 'app-prod', repository: 'ghcr.io/acme/app', from: '1.0.0', to: '1.4.0' }]);
  });

  it('keeps "Update N images" for several and names the promotions in the body', () => {
    const message = defaultCommitMessage(
      'fleet-prod',
      [change('ghcr.io/acme/app', '1.4.0'), change('ghcr.io/acme/api', '2.0.0', 'api-prod')],
      [note('ghcr.io/acme/app', '1.4.0')],
    );
    assert.equal(message.split('\n')[0], 'Update 2 images');
    assert.match(message, /\nPromoted:\n- ghcr\.io\/acme\/app 1\.4\.0 from fleet-staging after 26h \(aaaaaaaaaaaa\)\n/);
  });

  it('a digest-pinned change is still named as the promotion of its tag', () => {
    const message = defaultCommitMessage('p', [change('r', `1.4.0@sha256:${'b'.repeat(64)}`)], [note('r', '1.4.0')]);
    assert.match(message.split('\n')[0]!, /^Promote r 1\.4\.0 from fleet-staging/);
  });

  it('without promotions the message is unchanged', () => {
    assert.equal(defaultCommitMessage('p', [change('r', '1.4.0')]).split('\n')[0], 'Update r to 1.4.0');
  });

  it('a templated message gains the trailer', () => {
    const message = withTrailers('Deploy things', 'p', [change('r', '1.4.0')], [note('r', '1.4.0')]);
    assert.match(message, new RegExp(`Tagpilot-Promoted-From: fleet-staging@${SHA}\\n$`));
  });

  it('takes the origin of the tag each change moves to from the picks', () => {
    const picks = new Map([
      ['app-prod', { promotion: [{ from: 'fleet-staging', tag: '1.3.0', commit: SHA, soakedMs: 30 * 3_600_000 }] }],
    ]);
    assert.deepEqual(promotionNotes(picks, [change('r', '1.3.0')]), [{ repository: 'r', tag: '1.3.0', from: 'fleet-staging', commit: SHA, after: '30h' }]);
    assert.deepEqual(promotionNotes(picks, [change('r', '1.4.0')]), [], 'a tag without a known origin is an ordinary update');
    const [note] = promotionNotes(new Map([['app-prod', { promotion: [{ from: 's', tag: '1.3.0', commit: SHA, soakedMs: 3 * 3_600_000 + 25 * 60_000 }] }]]), [change('r', '1.3.0')]);
    assert.equal(note?.after, '3h', 'whole hours, so a review request is not retitled on every run');
  });

  const soaks: Array<[number, string]> = [
    [0, '0s'],
    [45_000, '45s'],
    [40 * 60_000, '40m'],
    [3 * 3_600_000 + 25 * 60_000, '3h25m'],
    [24 * 3_600_000, '24h'],
    [26 * 3_600_000 + 59 * 60_000, '26h'],
  ];
  for (const [ms, text] of soaks) it(`formats ${ms} ms as ${text}`, () => assert.equal(formatSoak(ms), text));
});
