// Token reuse, renewal before expiry, invalidation, and shared fetches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenCache, type IssuedToken } from '../../src/registry/token-cache.js';

describe('TokenCache', () => {
  function setup(lifetimeSeconds: number): { cache: TokenCache; clock: { now: number }; issued: () => number; issue: () => Promise<IssuedToken> } {
    const clock = { now: 0 };
    let count = 0;
    const issue = async (): Promise<IssuedToken> => ({ token: `t${++count}`, lifetimeSeconds });
    return { cache: new TokenCache(() => clock.now), clock, issued: () => count, issue };
  }

  const renewals: Array<{ label: string; lifetime: number; at: number; token: string }> = [
    { label: 'reuses a 300 s token after 289 s', lifetime: 300, at: 289_000, token: 't1' },
    { label: 'renews a 300 s token 10 s before it expires', lifetime: 300, at: 290_000, token: 't2' },
    { label: 'reuses a 2 s token within its first half', lifetime: 2, at: 999, token: 't1' },
    { label: 'renews a 2 s token at half-life', lifetime: 2, at: 1_000, token: 't2' },
  ];
  for (const r of renewals) {
    it(r.label, async () => {
      const { cache, clock, issue } = setup(r.lifetime);
      assert.equal(await cache.get('k', issue), 't1');
      clock.now = r.at;
      assert.equal(await cache.get('k', issue), r.token);
    });
  }

  it('keeps tokens apart by key', async () => {
    const { cache, issue } = setup(300);
    assert.equal(await cache.get('a', issue), 't1');
    assert.equal(await cache.get('b', issue), 't2');
    assert.equal(await cache.get('a', issue), 't1');
  });

  it('drops an invalidated token, but not one that already replaced it', async () => {
    const { cache, issue } = setup(300);
    await cache.get('k', issue);
    cache.invalidate('k', 't1');
    assert.equal(await cache.get('k', issue), 't2');
    cache.invalidate('k', 't1');
    assert.equal(await cache.get('k', issue), 't2');
  });

  it('shares one fetch among concurrent callers, and forgets a failed one', async () => {
    const { cache, issued, issue } = setup(300);
    const tokens = await Promise.all([cache.get('k', issue), cache.get('k', issue), cache.get('k', issue)]);
    assert.deepEqual(tokens, ['t1', 't1', 't1']);
    assert.equal(issued(), 1);
    await assert.rejects(cache.get('x', () => Promise.reject(new Error('realm down'))), /realm down/);
    assert.equal(await cache.get('x', issue), 't2');
  });
});
