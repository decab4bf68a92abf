// Loaded into every test file's process by scripts/run-tests.mjs (--import). A test that times out
// (--test-timeout) can leave a hung peer's socket or timer behind, which would keep its file's
// process, and so the suite, alive for ever; this ends such a file with a failure instead.
// --test-force-exit would too, but on Node 24 it drops results of files that finish normally.
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout } from 'node:timers';

/** Five minutes; TAGPILOT_TEST_FILE_TIMEOUT_MS overrides it, to try the watchdog itself. */
const FILE_TIMEOUT_MS = Number(process.env.TAGPILOT_TEST_FILE_TIMEOUT_MS) || 5 * 60_000;

// Only in the per-file child processes, not in the runner that waits for all of them.
if (process.env.NODE_TEST_CONTEXT) {
  setTimeout(() => {
    process.stderr.write(`test file still running after ${FILE_TIMEOUT_MS / 1000} s: ${process.argv[1]}\n`);
    process.exit(1);
  }, FILE_TIMEOUT_MS).unref();
}

// With TAGPILOT_TEST_CPU_LOG (scripts/run-tests.mjs sets it under TAGPILOT_TEST_CPU=1), each test
// process appends the CPU time it used, and that of the children it waited for, when it exits.
if (process.env.NODE_TEST_CONTEXT && process.env.TAGPILOT_TEST_CPU_LOG) {
  const log = process.env.TAGPILOT_TEST_CPU_LOG;
  process.on('exit', () => {
    // Linux's /proc/self/stat: utime, stime, cutime and cstime are its fields 14-17, in 1/100 s.
    const [utime, stime, cutime, cstime] = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
    appendFileSync(log, `${JSON.stringify({ file: process.argv[1], self: (utime + stime) / 100, children: (cutime + cstime) / 100 })}\n`);
  });
}
