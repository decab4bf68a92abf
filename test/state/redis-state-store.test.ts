import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TransientError } from '../../src/errors.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { stateStoreContract } from './state-store-contract.js';

let redis: RedisServer;
let prefixes = 0;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

stateStoreContract('redis', async () => {
  const prefix = `contract-${++prefixes}`;
  return { store: new RedisStateStore(redis.url, prefix), reopen: async () => new RedisStateStore(redis.url, prefix) };
});

describe('RedisStateStore', () => {
  it('fails at once, as transient, while Redis is down, and works again once it is back', async () => {
    const store = new RedisStateStore(redis.url, 'down');
    try {
      await store.put('k', 'before', 1);
      await redis.kill();
      const started = Date.now();
      await assert.rejects(store.get(['k']), (err: Error) => {
        assert.ok(err instanceof TransientError);
        assert.equal(err.code, 'STATE_UNAVAILABLE');
        assert.match(err.message, /shared state in Redis: cannot read/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000, 'no waiting in an offline queue');
      await redis.restart();
      // A restarted test Redis is empty; the client reconnects by itself.
      for (let i = 0; i < 100; i++) {
        if (await store.put('k', 'after', 2).catch(() => false)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal((await store.get<string>(['k'])).get('k')?.value, 'after');
    } finally {
      await store.close();
    }
  });
});
