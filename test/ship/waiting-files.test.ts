// The process that runs the files that mostly wait (scripts/waiting-files.mjs, WAITING in
// scripts/run-tests.mjs): its files run at once, and each file's tests one after another, as they
// do in a process of their own. Here on two small files of our own: the first file's first test
// ends only once the second file has started, which never happens if the files run in turn (node:test
// would wait for it for ever: the test gives up after WAIT_MS, long enough to be reached only then),
// and its second test checks that it started after the first one ended.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { waitingFilesEntry } from '../../scripts/waiting-files.mjs';
import { CommandError, runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

// Both files see one object: they share a process.
const SHARED = `const lane = (globalThis.lane ??= (() => {
  let started;
  return { order: [], secondStarted: new Promise((resolve) => (started = resolve)), started };
})());`;

const FILES = {
  'first.test.mjs': `import assert from 'node:assert/strict';
import { it } from 'node:test';
${SHARED}
it('waits for the second file to start', { timeout: Number(process.env.WAIT_MS) }, async () => {
  lane.order.push('first started');
  await lane.secondStarted;
  lane.order.push('first ended');
});
it('starts once the test before it has ended', () => {
  assert.deepEqual(lane.order, ['first started', 'first ended']);
});
`,
  'second.test.mjs': `import { it } from 'node:test';
${SHARED}
it('starts while the first file waits', () => lane.started());
`,
};

describe('the process of the files that mostly wait', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('waiting-files');
    await Promise.all(Object.entries(FILES).map(([name, text]) => writeFile(join(dir, name), text)));
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  /** Runs an entry for `names` in a node of its own; its TAP, and whether it passed. */
  async function runEntry(names: string[], waitMs: number): Promise<{ ok: boolean; tap: string }> {
    const entry = join(dir, 'entry.test.mjs');
    await writeFile(entry, waitingFilesEntry(names.map((name) => ({ path: name, url: pathToFileURL(join(dir, name)).href }))));
    // This process is itself a test file's: without NODE_TEST_CONTEXT the child is a runner of its own.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    try {
      const { stdout } = await runCommand(process.execPath, ['--test-reporter=tap', entry], { cwd: dir, env: { ...env, WAIT_MS: String(waitMs) }, timeoutMs: 60_000 });
      return { ok: true, tap: stdout };
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      return { ok: false, tap: err.stdout };
    }
  }

  it('runs the files at once and the tests of each in turn', async () => {
    const { ok, tap } = await runEntry(['first.test.mjs', 'second.test.mjs'], 30_000);
    assert.ok(ok, tap);
    assert.match(tap, /^# pass 3$/m);
    assert.match(tap, /# Subtest: first\.test\.mjs\n/);
  });

  it('fails when the second file never starts: what the check above relies on', async () => {
    const { ok, tap } = await runEntry(['first.test.mjs'], 500);
    assert.ok(!ok, tap);
    assert.match(tap, /not ok 1 - waits for the second file to start/);
  });
});
