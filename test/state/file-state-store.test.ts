import assert from 'node:assert/strict';
import { mkdir, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TransientError } from '../../src/errors.js';
import { FileStateStore, JOURNAL_FILE } from '../../src/state/file-state-store.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { stateStoreContract } from './state-store-contract.js';

const dirs: string[] = [];
after(async () => Promise.all(dirs.map(removeTempDir)));

stateStoreContract('files', async () => {
  const dir = await makeTempDir('state-files');
  dirs.push(dir);
  return { store: new FileStateStore(dir), reopen: async () => new FileStateStore(dir) };
});

describe('FileStateStore', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('state-files-own');
    dirs.push(dir);
  });

  it('reads a damaged file as nothing stored, and replaces it on the next write', async () => {
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state', 'broken.json'), '{"version": 3, "val');
    const store = new FileStateStore(dir);
    assert.deepEqual([...(await store.get(['broken']))], []);
    assert.equal(await store.put('broken', 'fixed', 1), true);
    assert.equal((await store.get<string>(['broken'])).get('broken')?.value, 'fixed');
  });

  it('appends only a value that changed; a newer version of the same value still refuses older writes', async () => {
    const own = join(dir, 'unchanged');
    const store = new FileStateStore(own);
    const journal = join(own, 'state', JOURNAL_FILE);
    assert.equal(await store.put('same', { tag: '1.0.0' }, 10), true);
    const written = (await stat(journal)).size;
    assert.equal(await store.put('same', { tag: '1.0.0' }, 20), true);
    assert.equal((await stat(journal)).size, written, 'the same value is not written again');
    assert.equal(await store.put('same', { tag: '0.9.0' }, 15), false, 'older than the version the unchanged value was put at');
    assert.deepEqual((await store.get(['same'])).get('same'), { version: 20, value: { tag: '1.0.0' } });
    assert.equal(await store.put('same', { tag: '1.1.0' }, 30), true);
    assert.ok((await stat(journal)).size > written, 'a changed value is written');
    assert.deepEqual((await new FileStateStore(own).get(['same'])).get('same'), { version: 30, value: { tag: '1.1.0' } }, 'and a restart reads it');
    await store.close();
  });

  it('skips a torn last line (a crash in the middle of an append), and appends after it on a line of its own', async () => {
    const own = join(dir, 'torn');
    await mkdir(join(own, 'state'), { recursive: true });
    await writeFile(join(own, 'state', JOURNAL_FILE), '{"key":"kept","version":1,"value":"a"}\n{"key":"torn","version":2,"val');
    const store = new FileStateStore(own);
    assert.deepEqual(Object.fromEntries(await store.get(['kept', 'torn'])), { kept: { version: 1, value: 'a' } });
    assert.equal(await store.put('after', 'b', 3), true);
    await store.close();
    assert.deepEqual(Object.fromEntries(await new FileStateStore(own).get(['kept', 'torn', 'after'])), {
      kept: { version: 1, value: 'a' },
      after: { version: 3, value: 'b' },
    });
  });

  it("takes in an older release's file per key, the newer version winning, and removes the files", async () => {
    const own = join(dir, 'per-key');
    const folder = join(own, 'state');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, JOURNAL_FILE), '{"key":"pick/app","version":5,"value":"journal"}\n{"key":"pick/web","version":9,"value":"journal"}\n');
    await writeFile(join(folder, 'pick%2Fapp.json'), '{"version":7,"value":"file"}');
    await writeFile(join(folder, 'pick%2Fweb.json'), '{"version":8,"value":"file"}');
    await writeFile(join(folder, 'history%2Fns%3Afleet.json'), '{"version":1,"value":{"heads":["abc"]}}');
    const expected = {
      'pick/app': { version: 7, value: 'file' },
      'pick/web': { version: 9, value: 'journal' },
      'history/ns:fleet': { version: 1, value: { heads: ['abc'] } },
    };
    const store = new FileStateStore(own);
    assert.deepEqual(Object.fromEntries(await store.get(Object.keys(expected))), expected);
    assert.deepEqual(await readdir(folder), [JOURNAL_FILE]);
    assert.deepEqual(Object.fromEntries(await new FileStateStore(own).get(Object.keys(expected))), expected, 'a restart reads them from the journal');
  });

  it('keeps the journal open across appends that follow each other, and close() releases it', async () => {
    const own = join(dir, 'open-journal');
    const journal = join(own, 'state', JOURNAL_FILE);
    const openJournals = async () => {
      const fds = await readdir('/proc/self/fd');
      const targets = await Promise.all(fds.map((fd) => readlink(join('/proc/self/fd', fd)).catch(() => '')));
      return targets.filter((target) => target === journal).length;
    };
    const store = new FileStateStore(own);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k${i}`, i, 1)));
    await store.put('later', 'x', 1);
    assert.equal(await openJournals(), 1, 'one handle for every append');
    await store.close();
    assert.equal(await openJournals(), 0);
    assert.equal((await new FileStateStore(own).get(['k19', 'later'])).size, 2, 'what was appended is in the file');
  });

  it('rewrites the journal once it has grown to several times what it holds', async () => {
    const own = join(dir, 'rewrite');
    const store = new FileStateStore(own);
    const big = 'x'.repeat(10_000);
    for (let version = 1; version <= 300; version++) assert.equal(await store.put('busy', `${version}${big}`, version), true);
    await store.put('quiet', 'q', 1);
    await store.close();
    const size = (await stat(join(own, 'state', JOURNAL_FILE))).size;
    assert.ok(size < 1.2 * 1024 * 1024, `3 MB were appended, and the journal holds ${size} bytes`);
    const reopened = Object.fromEntries(await new FileStateStore(own).get(['busy', 'quiet']));
    assert.deepEqual(reopened, { busy: { version: 300, value: `300${big}` }, quiet: { version: 1, value: 'q' } });
  });

  it('keeps the journal of a small store small: what the next process reads is mostly live records', async () => {
    const own = join(dir, 'small');
    const store = new FileStateStore(own);
    const record = 'r'.repeat(1_000);
    for (let version = 1; version <= 500; version++) assert.equal(await store.put('history/fleet', `${version}${record}`, version), true);
    await store.close();
    const size = (await stat(join(own, 'state', JOURNAL_FILE))).size;
    assert.ok(size < 70 * 1024, `500 KB were appended to one ~1 KB record, and the journal holds ${size} bytes`);
    assert.deepEqual(Object.fromEntries(await new FileStateStore(own).get(['history/fleet'])), {
      'history/fleet': { version: 500, value: `500${record}` },
    });
  });

  it('a state folder it cannot write is a transient error naming the folder, not "nothing stored"', async () => {
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, 'a file where the state dir should be');
    const store = new FileStateStore(blocked);
    await assert.rejects(store.put('x', 1, 1), (err: Error) => {
      assert.ok(err instanceof TransientError);
      assert.equal(err.code, 'LOCAL_DISK');
      assert.match(err.message, new RegExp(`state in ${blocked}/state: cannot (read|write) x: ENOTDIR`));
      return true;
    });
    await assert.rejects(store.get(['x']), /cannot read x: ENOTDIR/);
  });
});
