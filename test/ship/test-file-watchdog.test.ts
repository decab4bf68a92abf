// The watchdog every test file's process loads (scripts/test-file-watchdog.mjs, through
// scripts/run-tests.mjs): a process that something keeps alive after its tests have ended, or that
// runs past the file limit, ends failed and names what held it open, instead of holding CI for
// ever. Here on small files of our own under `node --test`, with the limits shortened.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CommandError, runCommand, type CommandResult } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const WATCHDOG = fileURLToPath(new URL('../../scripts/test-file-watchdog.mjs', import.meta.url));

const FILES = {
  // A test that passes but leaves a timer running, as a client reconnecting to a stopped peer would.
  'lingers.test.mjs': `import { it } from 'node:test';\nit('passes', () => { setInterval(() => {}, 1000); });\n`,
  // Its own top-level after hook takes a while: the linger limit counts it, so it must fit.
  'slow-after.test.mjs': `import { after, it } from 'node:test';\nit('passes', () => {});\nafter(() => new Promise((resolve) => setTimeout(resolve, 300)));\n`,
  // A test that never ends.
  'hangs.test.mjs': `import { it } from 'node:test';\nit('waits for ever', { timeout: 60_000 }, () => new Promise(() => setInterval(() => {}, 1000)));\n`,
};

describe('the test files watchdog', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('watchdog');
    await Promise.all(Object.entries(FILES).map(([name, text]) => writeFile(join(dir, name), text)));
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  /** `node --test` on one of FILES with the watchdog loaded, TAP on stdout; rejects with CommandError when it fails. */
  function runFile(name: keyof typeof FILES, limits: Record<string, string>): Promise<CommandResult> {
    // This process is itself a test file's: without NODE_TEST_CONTEXT the child is a runner of its own.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const args = ['--test', '--test-reporter=tap', '--import', WATCHDOG, name];
    return runCommand(process.execPath, args, { cwd: dir, env: { ...env, ...limits }, timeoutMs: 20_000 });
  }

  /** Asserts that `run` failed with exit code 1 and a TAP report matching each of `reports`. */
  async function failsWith(run: Promise<CommandResult>, ...reports: RegExp[]): Promise<void> {
    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof CommandError, String(err));
      assert.equal(err.exitCode, 1, err.stdout);
      for (const report of reports) assert.match(err.stdout, report);
      return true;
    });
  }

  it('fails a file whose process stays alive after its tests, naming what holds it', async () => {
    await failsWith(
      runFile('lingers.test.mjs', { TAGPILOT_TEST_LINGER_MS: '200' }),
      /test file's process still alive 0\.2 s after its tests ended: \S*lingers\.test\.mjs \(still open: [^)]*Timeout/,
      /^# fail 1$/m,
    );
  });

  it("passes a file that exits by itself, its own after hooks inside the limit", async () => {
    const { stdout } = await runFile('slow-after.test.mjs', { TAGPILOT_TEST_LINGER_MS: '5000' });
    assert.match(stdout, /^# pass 1\n# fail 0$/m);
  });

  it('fails a file still running at the file limit', async () => {
    await failsWith(runFile('hangs.test.mjs', { TAGPILOT_TEST_FILE_TIMEOUT_MS: '500' }), /test file still running after 0\.5 s: \S*hangs\.test\.mjs/);
  });
});
