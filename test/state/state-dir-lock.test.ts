// The stateDir lock on its own: who is judged alive, what is taken over, what release() removes.
// The two-process case (a second `reconcile` refused) is in test/service/state-dir-lock-process.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { InputError } from '../../src/errors.js';
import { acquireStateDirLock, LOCK_FILE, STALE_MS, type LockEnvironment } from '../../src/state/state-dir-lock.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** A host where only the pids in `alive` run. */
const host = (name: string, pid: number, alive: number[] = []): LockEnvironment => ({
  pid,
  hostname: name,
  now: Date.now,
  isAlive: (p) => p === pid || alive.includes(p),
});

describe('stateDir lock', () => {
  let root: string;
  let count = 0;
  before(async () => {
    root = await makeTempDir('state-lock');
  });
  after(async () => {
    if (root) await removeTempDir(root);
  });
  const fresh = () => join(root, `state-${++count}`);

  /** A lock file as another process left it, last touched `ageMs` ago. */
  function leave(dir: string, holder: { pid: number; hostname: string }, ageMs = 0): void {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, LOCK_FILE);
    writeFileSync(path, JSON.stringify({ ...holder, startedAt: '2026-01-01T00:00:00.000Z', command: 'serve', token: 'theirs' }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
  }

  const refused = (dir: string, env: LockEnvironment, pattern: RegExp) =>
    assert.throws(
      () => acquireStateDirLock(dir, 'reconcile', env),
      (err: Error) => err instanceof InputError && pattern.test(err.message),
    );

  it('refuses a second holder while the first runs, naming its pid and host, and takes it once released', () => {
    const dir = fresh();
    const first = acquireStateDirLock(dir, 'serve', host('node-a', 100));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, 100);
    refused(dir, host('node-a', 200, [100]), /in use by pid 100 on host node-a \(tagpilot serve, since /);
    first.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    acquireStateDirLock(dir, 'reconcile', host('node-a', 200, [100])).release();
  });

  it('takes over a lock whose holder on this host has died', () => {
    const dir = fresh();
    leave(dir, { pid: 4242, hostname: 'node-a' });
    const lock = acquireStateDirLock(dir, 'reconcile', host('node-a', 200));
    assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, 200);
    lock.release();
  });

  it('takes over a lock in our own pid: a previous life of this container, where every first process is pid 1', () => {
    const dir = fresh();
    leave(dir, { pid: 1, hostname: 'pod-0' });
    acquireStateDirLock(dir, 'serve', host('pod-0', 1)).release();
  });

  it('respects a lock from another host while its heartbeat is recent, whatever the pid', () => {
    const dir = fresh();
    leave(dir, { pid: 4242, hostname: 'node-b' }, STALE_MS / 3);
    refused(dir, host('node-a', 200), /in use by pid 4242 on host node-b/);
  });

  it('takes over a lock from another host whose heartbeat stopped', () => {
    const dir = fresh();
    leave(dir, { pid: 200, hostname: 'node-b' }, STALE_MS + 5_000);
    const lock = acquireStateDirLock(dir, 'serve', host('node-a', 200));
    assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).hostname, 'node-a');
    lock.release();
    assert.deepEqual(readdirSync(dir), [], 'no stale copy or claim is left behind');
  });

  it('release leaves a later holder’s lock alone', () => {
    const dir = fresh();
    const lock = acquireStateDirLock(dir, 'serve', host('node-a', 100));
    leave(dir, { pid: 300, hostname: 'node-a' });
    lock.release();
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, 300);
  });

  it('a stateDir that cannot be created is an error naming it, not a crash', async () => {
    const blocker = join(root, 'a-file');
    writeFileSync(blocker, '');
    const configPath = join(root, 'bad-state.yaml');
    writeFileSync(configPath, `stateDir: ${join(blocker, 'state')}\n`);
    let err = '';
    const code = await runCli(['plan', '--config', configPath], { out: () => {}, err: (t) => (err += t), env: { TAGPILOT_LOG_LEVEL: 'silent' } });
    assert.equal(code, 1);
    assert.match(err, new RegExp(`^stateDir ${join(blocker, 'state')}: .*ENOTDIR`));
  });
});
