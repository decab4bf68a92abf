// pickVerified checks signatures lazily, best candidate first: a verified pick costs one check per
// better unsigned tag, never one per tag, and a registry full of unsigned tags stops at the cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransientError } from '../../src/errors.js';
import { compilePolicy } from '../../src/policy/policy.js';
import type { Verdict } from '../../src/verify/cosign-verifier.js';
import { MAX_UNVERIFIED, pickVerified } from '../../src/verify/pick-verified.js';

const policy = compilePolicy({ name: 'p', image: 'app', semver: '>=1.0.0', digest: false });
const tags = Array.from({ length: 1000 }, (_, i) => `1.0.${i}`);
/** The digest of 1.0.N ends in N, so a test can say which patches are signed. */
const digestOf = async (tag: string) => `sha256:${tag.split('.')[2]!.padStart(64, '0')}`;

function verifier(signed: (digest: string) => boolean) {
  const checked: string[] = [];
  const verify = async (digest: string): Promise<Verdict> => {
    checked.push(digest);
    return signed(digest) ? { verified: true, via: 'signature tag' } : { verified: false, kind: 'unsigned', reason: 'no cosign signature' };
  };
  return { checked, verify };
}

describe('pickVerified', () => {
  const cases: Array<{ label: string; signedBelow: number; pick: string | null; checks: number }> = [
    { label: 'the best tag is signed: one check', signedBelow: 1000, pick: '1.0.999', checks: 1 },
    { label: 'the 3 best are unsigned: four checks', signedBelow: 997, pick: '1.0.996', checks: 4 },
    { label: 'nothing is signed: stops at the cap', signedBelow: 0, pick: null, checks: MAX_UNVERIFIED },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const { checked, verify } = verifier((digest) => Number(digest.slice('sha256:'.length)) < c.signedBelow);
      const result = await pickVerified(policy, tags, { digest: digestOf, verify, needDigest: false });
      assert.equal(result.evaluation.pick?.tag ?? null, c.pick);
      assert.equal(checked.length, c.checks);
      assert.equal(result.evaluation.skipped?.length ?? 0, c.pick ? c.checks - 1 : c.checks);
      assert.equal(result.evaluation.stats.seen, 1000, 'stats count every tag, skipped ones included');
      if (!c.pick) assert.match(result.evaluation.reason ?? '', /^the 25 best candidates are not signed with the cosign key \(1\.0\.999: no cosign signature; .* and 22 more\)$/);
    });
  }

  it('without a verifier resolves the digest only when pinning, and skips nothing', async () => {
    let lookups = 0;
    const count = async (tag: string) => (lookups++, digestOf(tag));
    assert.equal((await pickVerified(policy, tags, { digest: count, needDigest: false })).digest, null);
    assert.equal(lookups, 0);
    const pinned = await pickVerified(policy, tags, { digest: count, needDigest: true });
    assert.equal(pinned.digest, await digestOf('1.0.999'));
    assert.equal(pinned.evaluation.skipped, undefined);
  });

  it('a transient failure while verifying propagates instead of skipping the tag', async () => {
    const verify = async (): Promise<Verdict> => Promise.reject(new TransientError('registry answered HTTP 503'));
    await assert.rejects(pickVerified(policy, tags, { digest: digestOf, verify, needDigest: false }), TransientError);
  });
});
