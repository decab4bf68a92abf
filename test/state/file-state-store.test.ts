import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TransientError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file-state-store.js';
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
