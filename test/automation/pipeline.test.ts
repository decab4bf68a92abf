// The pipeline's bookkeeping between scans: no pick change is lost when part of a scan fails.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Pipeline } from '../../src/automation/pipeline.js';
import { Config } from '../../src/config/schema.js';
import { TransientError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { promotionDueTimes } from '../../src/promotion/promotion-timers.js';
import type { RegistryClient } from '../../src/registry/registry-client.js';
import { FileStateStore } from '../../src/state/file-state-store.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const config = Config.parse({
  images: [{ name: 'app', repository: 'registry.example.com/acme/app' }],
  policies: [
    { name: 'by-tag', image: 'app', semver: '>=1.0.0' },
    { name: 'pinned', image: 'app', semver: '>=1.0.0', digest: true },
  ],
  automations: [{ name: 'fleet', git: { url: 'https://git.example.com/fleet.git' } }],
});

/** A registry stand-in whose digest lookups fail until told otherwise (no process boundary is crossed here). */
function registry(tags: string[]) {
  const state = { digestDown: true, tags };
  const client = {
    listTags: async () => state.tags,
    getDigest: async (_repo: string, tag: string) => {
      if (state.digestDown) throw new TransientError('registry answered HTTP 503');
      return `sha256:${tag.replace(/\D/g, '').padEnd(64, '0')}`;
    },
  } as unknown as RegistryClient;
  return { state, client };
}

const dirs: string[] = [];
after(async () => Promise.all(dirs.map(removeTempDir)));
async function store(): Promise<FileStateStore> {
  const dir = await makeTempDir('pipeline-state');
  dirs.push(dir);
  return new FileStateStore(dir);
}

/**
 * Until Date.now() has moved on. A scan's start is the version its records are stored at, and a record
 * no newer than the stored one is refused (another replica's scan got there first); the queue's retries
 * and the schedule are seconds apart, but a test's next scan can start within the same millisecond.
 */
async function clockMoved(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('Pipeline.scanImage', () => {
  it('reports the changes it made even when another policy failed, and finds the failed one on retry', async () => {
    const { state, client } = registry(['1.0.0', '1.1.0']);
    const pipeline = new Pipeline(config, createLogger('silent'), { registry: client, state: await store() });

    const first = await pipeline.scanImage('app');
    assert.deepEqual(first.changed, ['by-tag']);
    assert.ok(first.failure instanceof TransientError);
    assert.equal(pipeline.policies.get('pinned')!.pick, null, 'a failed policy keeps its previous pick');
    assert.match(pipeline.policies.get('pinned')!.error ?? '', /503/);

    state.digestDown = false;
    await clockMoved();
    const retry = await pipeline.scanImage('app');
    assert.deepEqual(retry.changed, ['pinned']);
    assert.equal(retry.failure, null);
    assert.equal(pipeline.policies.get('pinned')!.pick!.digest, `sha256:${'110'.padEnd(64, '0')}`);
  });

  it('a failed listing changes nothing and names the image on its policies', async () => {
    const client = { listTags: async () => Promise.reject(new TransientError('timeout')) } as unknown as RegistryClient;
    const pipeline = new Pipeline(config, createLogger('silent'), { registry: client, state: await store() });
    const outcome = await pipeline.scanImage('app');
    assert.deepEqual(outcome.changed, []);
    assert.ok(outcome.failure instanceof TransientError);
    assert.match(pipeline.policies.get('by-tag')!.error ?? '', /image app: timeout/);
  });
});

describe('Pipeline.scanImage: a tag list the last scan saw already', () => {
  const plainInput = {
    images: [{ name: 'app', repository: 'registry.example.com/acme/app' }],
    policies: [
      { name: 'by-tag', image: 'app', semver: '>=1.0.0' },
      { name: 'pinned', image: 'app', semver: '>=1.0.0', digest: true },
    ],
  };
  const plain = Config.parse(plainInput);
  /**
   * A registry that answers each listing with a fresh array, as a real one does, and digests from a
   * table. It answers once the clock has moved on, as a real one takes time: a pick's version is its
   * scan's start in ms, and of two scans started in the same millisecond the store keeps the first.
   */
  function answering(tags: string[]) {
    const state = { tags, digests: new Map<string, string>() };
    const client = {
      listTags: async () => {
        const asked = Date.now();
        while (Date.now() <= asked) await new Promise((resolve) => setTimeout(resolve, 1));
        return [...state.tags];
      },
      getDigest: async (_repo: string, tag: string) => state.digests.get(tag) ?? `sha256:${tag.replace(/\D/g, '').padEnd(64, '0')}`,
    } as unknown as RegistryClient;
    return { state, client };
  }

  // Each step lists `tags` and expects the plain policy's pick and which policies changed; every list
  // is also evaluated by a fresh pipeline, whose pick the reused evaluation must equal.
  const steps: Array<{ label: string; tags: string[]; pick: string | null; changed: string[]; reused: boolean }> = [
    { label: 'first scan', tags: ['1.0.0', '1.1.0'], pick: '1.1.0', changed: ['by-tag', 'pinned'], reused: false },
    { label: 'same tags', tags: ['1.0.0', '1.1.0'], pick: '1.1.0', changed: [], reused: true },
    { label: 'a new tag', tags: ['1.0.0', '1.1.0', '1.2.0'], pick: '1.2.0', changed: ['by-tag', 'pinned'], reused: false },
    { label: 'the same three', tags: ['1.0.0', '1.1.0', '1.2.0'], pick: '1.2.0', changed: [], reused: true },
    { label: 'listed in another order', tags: ['1.2.0', '1.0.0', '1.1.0'], pick: '1.2.0', changed: [], reused: false },
    { label: 'the best tag deleted', tags: ['1.0.0', '1.1.0'], pick: '1.1.0', changed: ['by-tag', 'pinned'], reused: false },
    { label: 'nothing in range', tags: ['0.9.0'], pick: null, changed: ['by-tag', 'pinned'], reused: false },
    { label: 'still nothing', tags: ['0.9.0'], pick: null, changed: [], reused: true },
  ];

  it('gives the pick a fresh evaluation gives, reusing the evaluation only for the same list', async () => {
    const { state, client } = answering([]);
    const pipeline = new Pipeline(plain, createLogger('silent'), { registry: client, state: await store() });
    for (const step of steps) {
      state.tags = step.tags;
      await clockMoved();
      const before = pipeline.policies.get('by-tag')!.evaluation;
      const outcome = await pipeline.scanImage('app');
      const after = pipeline.policies.get('by-tag')!;
      assert.deepEqual(outcome.changed, step.changed, step.label);
      assert.equal(after.pick?.tag ?? null, step.pick, step.label);
      assert.equal(after.evaluation === before, step.reused, `${step.label}: evaluation reused`);
      const fresh = new Pipeline(plain, createLogger('silent'), { registry: client, state: await store() });
      await fresh.scanImage('app');
      assert.deepEqual(after.evaluation, fresh.policies.get('by-tag')!.evaluation, `${step.label}: as a fresh evaluation`);
      assert.deepEqual((await pipeline.state.get(['pick/by-tag'])).get('pick/by-tag')!.value, (await fresh.state.get(['pick/by-tag'])).get('pick/by-tag')!.value, step.label);
    }
  });

  it('resolves a digest policy on every scan: a tag pushed again changes its pick under the same tag list', async () => {
    const { state, client } = answering(['1.0.0']);
    const pipeline = new Pipeline(plain, createLogger('silent'), { registry: client, state: await store() });
    await pipeline.scanImage('app');
    state.digests.set('1.0.0', `sha256:${'f'.repeat(64)}`);
    await clockMoved();
    const outcome = await pipeline.scanImage('app');
    assert.deepEqual(outcome.changed, ['pinned']);
    assert.equal(pipeline.policies.get('pinned')!.pick!.digest, `sha256:${'f'.repeat(64)}`);
  });

  it('evaluates again after a reload, though the image keeps its last tag list', async () => {
    const { client } = answering(['1.0.0', '2.0.0']);
    const dir = await store();
    const first = new Pipeline(plain, createLogger('silent'), { registry: client, state: dir });
    await first.scanImage('app');
    assert.equal(first.policies.get('by-tag')!.pick!.tag, '2.0.0');
    const narrower = Config.parse({ ...plainInput, policies: [{ name: 'by-tag', image: 'app', semver: '~1.0' }] });
    const reloaded = new Pipeline(narrower, createLogger('silent'), { registry: client, state: dir });
    reloaded.adoptStatus(first);
    await clockMoved();
    const outcome = await reloaded.scanImage('app');
    assert.equal(reloaded.policies.get('by-tag')!.pick!.tag, '1.0.0');
    assert.deepEqual(outcome.changed, ['by-tag']);
  });
});

describe('Pipeline: policies that share a name in two namespaces', () => {
  const namespacedInput = {
    images: [
      { name: 'app-a', repository: 'registry.example.com/team-a/app' },
      { name: 'app-b', repository: 'registry.example.com/team-b/app' },
    ],
    policies: [
      { name: 'app', namespace: 'team-a', image: 'app-a', semver: '~1.0' },
      { name: 'app', namespace: 'team-b', image: 'app-b', semver: '~2.0' },
    ],
    automations: [
      { name: 'both', git: { url: 'https://git.example.com/fleet.git' } },
      { name: 'only-b', git: { url: 'https://git.example.com/fleet.git' }, policies: ['team-b:app'] },
    ],
  };
  const namespaced = Config.parse(namespacedInput);
  // Both repositories list the same tags: only each policy's own range tells the picks apart.
  const client = { listTags: async () => ['1.0.1', '2.0.5'] } as unknown as RegistryClient;

  it('keys statuses and picks by policy id (NS:NAME), and an automation listing NS:NAME gets only that one', async () => {
    const pipeline = new Pipeline(namespaced, createLogger('silent'), { registry: client, state: await store() });
    assert.deepEqual([...pipeline.policies.keys()], ['team-a:app', 'team-b:app']);
    assert.deepEqual((await pipeline.scanImage('app-a')).changed, ['team-a:app']);
    assert.deepEqual((await pipeline.scanImage('app-b')).changed, ['team-b:app']);
    const both = await pipeline.picksFor('both');
    assert.deepEqual([...both].map(([id, pick]) => [id, pick.policy, pick.tag]), [
      ['team-a:app', 'team-a:app', '1.0.1'],
      ['team-b:app', 'team-b:app', '2.0.5'],
    ]);
    assert.deepEqual([...(await pipeline.picksFor('only-b')).keys()], ['team-b:app']);
    assert.deepEqual(pipeline.automationsUsing('team-a:app'), ['both']);
    assert.deepEqual(pipeline.automationsUsing('team-b:app'), ['both', 'only-b']);
  });

  it("finds when an image's promotions are due by policy id, so a namespaced promotion policy arms its timer", () => {
    const promoting = Config.parse({
      ...namespacedInput,
      policies: namespacedInput.policies.map((p) => (p.namespace === 'team-a' ? { ...p, promotion: { from: 'only-b', soak: '1h' } } : p)),
    });
    const pipeline = new Pipeline(promoting, createLogger('silent'), { registry: client });
    const due = '2030-01-01T00:00:00.000Z';
    pipeline.policies.get('team-a:app')!.promotion = { from: 'only-b', soakMs: 3_600_000, eligible: [], waiting: [], nextDue: due, explanations: [], declined: [] };
    assert.deepEqual(promotionDueTimes(pipeline, 'app-a'), [Date.parse(due)]);
    assert.deepEqual(promotionDueTimes(pipeline, 'app-b'), []);
  });
});

describe('Pipeline: tags a push notification named', () => {
  const input = {
    images: [{ name: 'app', repository: 'registry.example.com/acme/app', exclude: ['^nightly-'] }],
    policies: [{ name: 'by-tag', image: 'app', semver: '>=1.0.0' }],
  };
  const config = Config.parse(input);
  const awaited = async (pipeline: Pipeline) => (await pipeline.state.get<{ tags: Array<{ tag: string }> }>(['awaited/app'])).get('awaited/app')?.value.tags.map((t) => t.tag);

  it('are waited for: a scan that does not list them fails as transient, after storing what it found', async () => {
    const { state, client } = registry(['1.0.0']);
    const pipeline = new Pipeline(config, createLogger('silent'), { registry: client, state: await store() });
    await pipeline.awaitTags('app', ['1.1.0'], 'hub');
    await pipeline.awaitTags('app', ['1.2.0', 'nightly-7'], 'hub');
    assert.deepEqual(await awaited(pipeline), ['1.1.0', '1.2.0', 'nightly-7'], 'a second delivery keeps the first one’s tags');

    const early = await pipeline.scanImage('app');
    assert.ok(early.failure instanceof TransientError);
    assert.match(early.failure.message, /does not list 1\.1\.0 \(named by webhook hub\), 1\.2\.0 \(named by webhook hub\), nightly-7 \(named by webhook hub\) yet/);
    assert.deepEqual(early.changed, ['by-tag'], 'the pick the listing gives is stored all the same');

    state.tags = ['1.0.0', '1.1.0', 'nightly-7'];
    const partly = await pipeline.scanImage('app');
    assert.match(String(partly.failure), /does not list 1\.2\.0 \(named by webhook hub\) yet/);
    assert.deepEqual(await awaited(pipeline), ['1.2.0'], 'listed and excluded tags are no longer waited for');

    state.tags = ['1.0.0', '1.1.0', '1.2.0'];
    const listed = await pipeline.scanImage('app');
    assert.equal(listed.failure, null);
    assert.equal(pipeline.policies.get('by-tag')!.pick!.tag, '1.2.0');
    assert.deepEqual(await awaited(pipeline), []);
  });

  it('a delivery recorded while a scan settles the list is not lost: the scan’s write is refused', async () => {
    const digestPolicy = Config.parse({ ...input, policies: [{ name: 'pinned', image: 'app', semver: '>=1.0.0', digest: true }] });
    const tags = ['1.0.0', '1.1.0'];
    let delivered = false;
    // The digest lookup runs after the scan has read the record and before it writes it back.
    const client = {
      listTags: async () => tags,
      getDigest: async () => {
        if (!delivered) await pipeline.awaitTags('app', ['1.2.0'], 'hub');
        delivered = true;
        return `sha256:${'1'.repeat(64)}`;
      },
    } as unknown as RegistryClient;
    const pipeline = new Pipeline(digestPolicy, createLogger('silent'), { registry: client, state: await store() });
    await pipeline.awaitTags('app', ['1.1.0'], 'hub');
    const scan = await pipeline.scanImage('app');
    assert.equal(scan.failure, null, 'what this scan read (1.1.0) is listed');
    assert.deepEqual(await awaited(pipeline), ['1.1.0', '1.2.0'], 'the later delivery’s tag is still waited for');
    const next = await pipeline.scanImage('app');
    assert.match(String(next.failure), /does not list 1\.2\.0 \(named by webhook hub\) yet/);
    assert.deepEqual(await awaited(pipeline), ['1.2.0']);
  });

  it('do not fail a reconcile, which nothing retries: they stay waited for, for a serve sharing the state', async () => {
    const { state, client } = registry(['1.0.0']);
    const pipeline = new Pipeline(config, createLogger('silent'), { registry: client, state: await store() });
    await pipeline.awaitTags('app', ['1.1.0', '1.2.0'], 'hub');
    state.tags = ['1.0.0', '1.1.0'];
    const { ok } = await pipeline.reconcile();
    assert.equal(ok, true);
    assert.equal(pipeline.images.get('app')!.error, null);
    assert.equal(pipeline.policies.get('by-tag')!.pick!.tag, '1.1.0');
    assert.deepEqual(await awaited(pipeline), ['1.2.0'], 'the listed tag is settled, the other still waited for');
  });

  it('are waited for only so long: a tag never listed ends the wait, and the scan succeeds', async () => {
    const { client } = registry(['1.0.0']);
    const pipeline = new Pipeline(config, createLogger('silent'), { registry: client, state: await store(), notifiedTagWaitMs: 0 });
    await pipeline.awaitTags('app', ['9.9.9'], 'hub');
    const outcome = await pipeline.scanImage('app');
    assert.equal(outcome.failure, null);
    assert.deepEqual(await awaited(pipeline), []);
  });
});
