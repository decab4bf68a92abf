// One contract for both StateStore backends (STYLE rule 6), as the queues have one: whatever the
// backend, a value comes back as stored, an older version never overwrites a newer one, and two
// writers racing on one key leave the newest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StateStore } from '../../src/state/state-store.js';

/** Runs the contract against stores made by `make`; each call must give a store with nothing in it. */
export function stateStoreContract(label: string, make: () => Promise<{ store: StateStore; reopen: () => Promise<StateStore> }>): void {
  describe(`StateStore contract: ${label}`, () => {
    let store: StateStore;
    let reopen: () => Promise<StateStore>;
    const opened: StateStore[] = [];
    before(async () => {
      ({ store, reopen } = await make());
      opened.push(store);
    });
    after(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });

    it('answers nothing for a key never written', async () => {
      assert.deepEqual([...(await store.get(['never']))], []);
    });

    it('returns what was stored, with its version, for each key asked', async () => {
      assert.equal(await store.put('pick/app', { tag: '1.2.3', candidates: ['1.2.3', '1.2.2'] }, 10), true);
      assert.equal(await store.put('pick/web', { tag: null }, 11), true);
      const got = await store.get<{ tag: string | null }>(['pick/app', 'pick/web', 'pick/none']);
      assert.deepEqual(Object.fromEntries(got), {
        'pick/app': { version: 10, value: { tag: '1.2.3', candidates: ['1.2.3', '1.2.2'] } },
        'pick/web': { version: 11, value: { tag: null } },
      });
    });

    const ordering: Array<{ label: string; first: number; second: number; stored: boolean; kept: string }> = [
      { label: 'a newer version replaces', first: 100, second: 101, stored: true, kept: 'second' },
      { label: 'an older version is refused', first: 100, second: 99, stored: false, kept: 'first' },
      { label: 'the same version is refused (first writer wins)', first: 100, second: 100, stored: false, kept: 'first' },
    ];
    for (const c of ordering) {
      it(c.label, async () => {
        const key = `order/${c.first}-${c.second}`;
        assert.equal(await store.put(key, 'first', c.first), true);
        assert.equal(await store.put(key, 'second', c.second), c.stored);
        assert.equal((await store.get<string>([key])).get(key)?.value, c.kept);
      });
    }

    it('keeps the newest of many racing writers, whatever order they land in', async () => {
      const versions = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 17) % 40));
      await Promise.all(versions.map((v) => store.put('race', `v${v}`, v)));
      assert.deepEqual((await store.get<string>(['race'])).get('race'), { version: 1039, value: 'v1039' });
    });

    it('keys may hold any characters a policy or automation name can (namespaces, slashes)', async () => {
      const key = 'history/flux-system:app/ref with space';
      await store.put(key, [1, 2, 3], 1);
      assert.deepEqual((await store.get<number[]>([key])).get(key)?.value, [1, 2, 3]);
    });

    it('what one opening stored, another sees (a restart, or another replica)', async () => {
      await store.put('shared', { by: 'first' }, 5);
      const other = await reopen();
      opened.push(other);
      assert.deepEqual((await other.get(['shared'])).get('shared'), { version: 5, value: { by: 'first' } });
      assert.equal(await other.put('shared', { by: 'second' }, 4), false, 'the other opening sees the version too');
    });
  });
}
