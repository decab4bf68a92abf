// The test process of the files that mostly wait (WAITING in scripts/run-tests.mjs): one suite per
// file, all running at once, each file's own tests one after another as in a process of their own.

/**
 * The text of a test file that imports each of `files` (`{ path, url }`: the name its suite gets, the
 * module to import) into a suite of its own and runs those suites side by side.
 */
export function waitingFilesEntry(files) {
  // A test inherits its parent's concurrency: each file's suite sets 1 again, as a process's root has.
  const suites = files.map(({ path, url }) => `  describe(${JSON.stringify(path)}, { concurrency: 1 }, () => import(${JSON.stringify(url)}));`);
  return [`import { describe } from 'node:test';`, `describe('files that mostly wait, side by side', { concurrency: true }, () => {`, ...suites, '});', ''].join('\n');
}
