// A failing disk under stateDir is named as such: "local disk: no space left on device writing
// <file>", never "git server unreachable", and never mistaken for a damaged clone to rebuild.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runAutomation } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { LocalDiskError, TransientError } from '../../src/errors.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { localDiskFailure } from '../../src/git/local-disk-failure.js';
import { remoteFailure } from '../../src/git/remote-failure.js';
import { ScreenedBlobs } from '../../src/git/screened-blobs.js';
import { createLogger } from '../../src/log.js';
import { HUMAN_AUTHOR, startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const errno = (code: string, syscall: string, path?: string) =>
  Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, ...(path ? { path } : {}) });

describe('local disk errors', () => {
  const cases: Array<{ label: string; err: Error; expect: string | null }> = [
    { label: 'a full disk on write, which names no path', err: errno('ENOSPC', 'write'), expect: 'local disk: no space left on device writing a file in stateDir' },
    {
      label: 'a full disk with the path gitdir-fs adds',
      err: errno('ENOSPC', 'write', '/state/git/fleet/objects/pack/pack-1.pack'),
      expect: 'local disk: no space left on device writing /state/git/fleet/objects/pack/pack-1.pack',
    },
    { label: 'a quota', err: errno('EDQUOT', 'write', '/state/x'), expect: 'local disk: disk quota exceeded writing /state/x' },
    { label: 'a read-only mount', err: errno('EROFS', 'mkdir', '/state/git'), expect: 'local disk: read-only file system creating /state/git' },
    { label: 'a folder not ours', err: errno('EACCES', 'open', '/state/git/x'), expect: 'local disk: permission denied opening /state/git/x' },
    { label: 'a reset connection is not the disk', err: errno('ECONNRESET', 'read'), expect: null },
  ];
  for (const { label, err, expect } of cases) {
    it(label, () => {
      const failure = remoteFailure(err, 'http://git.example.test/fleet.git');
      if (expect === null) {
        assert.equal(localDiskFailure(err), undefined);
        assert.ok(failure instanceof TransientError && !(failure instanceof LocalDiskError));
        assert.equal(failure.message, 'http://git.example.test/fleet.git: ECONNRESET');
        return;
      }
      assert.ok(failure instanceof LocalDiskError, 'not taken for the network');
      assert.equal(failure.code, 'LOCAL_DISK');
      assert.equal(failure.message, expect);
      assert.equal(failure.cause, err);
    });
  }
});

/** A 256 KiB tmpfs; false where this process may not mount (not root, or a container without CAP_SYS_ADMIN). */
function mountTinyTmpfs(dir: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]).status === 0;
}

describe('a stateDir on a full disk, for real', () => {
  let server: TestGitServer;
  let dir: string;
  let mounted = false;
  before(async () => {
    [server, dir] = await Promise.all([startGitServer(), makeTempDir('full-disk')]);
    await mkdir(join(dir, 'state'));
    mounted = mountTinyTmpfs(join(dir, 'state'));
  });
  after(async () => {
    if (mounted) spawnSync('umount', [join(dir, 'state')]);
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  it('a clone that fills the disk says so, names the file, and is not retried as network trouble', async (t) => {
    if (!mounted) return t.skip('cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the cases above still hold');
    // Random bytes do not compress: the pack is bigger than the whole disk.
    const url = await server.createRepo('big', {
      'apps/app.yaml': 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "app"}\n',
      'blob.txt': randomBytes(384 * 1024).toString('base64'),
    });
    const lines: string[] = [];
    const log = createLogger('debug', new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const automation = AutomationConfig.parse({
      name: 'fleet',
      git: { url, branch: 'main', author: { name: 'tagpilot', email: 'tagpilot@example.test' } },
      paths: ['apps'],
    });
    const picks = new Map([['app', { policy: 'app', repository: 'ghcr.io/acme/app', tag: '1.1.0' }]]);
    await assert.rejects(runAutomation(automation, picks, { stateDir: join(dir, 'state'), log, knownPolicies: new Set(['app']), pushRetryDelayMs: 1 }), (err: Error) => {
      assert.ok(err instanceof LocalDiskError, `${err.name}: ${err.message}`);
      assert.match(err.message, /^local disk: no space left on device writing .*\/state\/git\/fleet\/objects\/pack\/pack-[0-9a-f]+\.pack$/);
      return true;
    });
    const logged = lines.join('');
    assert.doesNotMatch(logged, /git server unreachable/);
    assert.doesNotMatch(logged, /rebuilding/);
  });

  it('a commit that fills the disk says so, names its pack, and leaves no part of it behind', async (t) => {
    if (!mounted) return t.skip('cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the cases above still hold');
    const url = await server.createRepo('commit-fills', { 'apps/app.yaml': 'image: ghcr.io/acme/app:1.0.0\n' });
    const gitdir = join(dir, 'state', 'commit-fills');
    try {
      const repo = new GitRepository(gitdir, url);
      const { head } = await repo.fetchHead('main');
      const packDir = join(gitdir, 'objects', 'pack');
      const before = await readdir(packDir);
      // Random bytes do not compress: this commit's pack is bigger than the whole disk.
      const files = new Map([['apps/app.yaml', randomBytes(300 * 1024).toString('base64')]]);
      await assert.rejects(repo.writeCommit(head, files, 'too big', HUMAN_AUTHOR), (err: Error) => {
        assert.ok(err instanceof LocalDiskError, `${err.name}: ${err.message}`);
        assert.match(err.message, /^local disk: no space left on device writing .*\/commit-fills\/objects\/pack\/pack-[0-9a-f]{40}\.pack$/);
        return true;
      });
      assert.deepEqual(await readdir(packDir), before, 'no pack, index or temporary file left');
    } finally {
      await rm(gitdir, { recursive: true, force: true });
    }
  });

  it('the blob memo written to a full disk says so too', async (t) => {
    if (!mounted) return t.skip('cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the cases above still hold');
    const filler = join(dir, 'state', 'filler');
    await writeFile(filler, Buffer.alloc(512 * 1024)).catch(() => undefined);
    try {
      const file = join(dir, 'state', 'git', 'fleet.screened.json');
      const memo = await ScreenedBlobs.load(file, 'v1');
      const oids = Array.from({ length: 2000 }, (_, i) => i.toString(16).padStart(40, '0'));
      for (const oid of oids) memo.markIrrelevant(oid);
      await assert.rejects(memo.save(new Set(oids)), (err: Error) => {
        assert.ok(err instanceof LocalDiskError, `${err.name}: ${err.message}`);
        assert.equal(err.message, `local disk: no space left on device writing ${file}`);
        return true;
      });
    } finally {
      await rm(filler, { force: true });
    }
  });
});
