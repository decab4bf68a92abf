// Loaded into every test file's process by scripts/run-tests.mjs (--import). A test that times out
// (--test-timeout) can leave a hung peer's socket or timer behind, which would keep its file's
// process, and so the suite, alive for ever; this ends such a file with a failure instead: a minute
// after its last test (a client still reconnecting to a peer that was stopped, say), or five minutes
// after it started, whichever comes first. --test-force-exit would end it too, but on Node 24 it
// drops results of files that finish normally. test/ship/test-file-watchdog.test.ts tries both.
import { appendFileSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after } from 'node:test';
import { setTimeout } from 'node:timers';

/** Five minutes; TAGPILOT_TEST_FILE_TIMEOUT_MS overrides it, to try the watchdog itself. */
const FILE_TIMEOUT_MS = Number(process.env.TAGPILOT_TEST_FILE_TIMEOUT_MS) || 5 * 60_000;
/**
 * How long a file's process may stay alive after its tests have ended. Counted from the first of the
 * file's top-level `after` hooks (this one is registered before the file's own), so it also covers
 * those hooks stopping their peers; TAGPILOT_TEST_LINGER_MS overrides it.
 */
const LINGER_MS = Number(process.env.TAGPILOT_TEST_LINGER_MS) || 60_000;

/** Ends the process, failed, saying what still holds it open. */
function endHung(why) {
  process.stderr.write(`${why}: ${process.argv[1]} (still open: ${process.getActiveResourcesInfo().join(', ')})\n`);
  process.exit(1);
}

// Only in the per-file child processes, not in the runner that waits for all of them.
if (process.env.NODE_TEST_CONTEXT) {
  setTimeout(() => endHung(`test file still running after ${FILE_TIMEOUT_MS / 1000} s`), FILE_TIMEOUT_MS).unref();
  after(() => {
    setTimeout(() => endHung(`test file's process still alive ${LINGER_MS / 1000} s after its tests ended`), LINGER_MS).unref();
  });
}

// With TAGPILOT_TEST_CPU_LOG (scripts/run-tests.mjs sets it under TAGPILOT_TEST_CPU=1), each test
// process appends the CPU time it used, and that of the children it waited for, when it exits, with
// when it started and ended (ms since the epoch), to show which processes ran side by side.
if (process.env.NODE_TEST_CONTEXT && process.env.TAGPILOT_TEST_CPU_LOG) {
  const log = process.env.TAGPILOT_TEST_CPU_LOG;
  process.on('exit', () => {
    // Linux's /proc/self/stat: utime, stime, cutime and cstime are its fields 14-17, in 1/100 s.
    const [utime, stime, cutime, cstime] = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
    const times = { start: Math.round(performance.timeOrigin), end: Date.now() };
    appendFileSync(log, `${JSON.stringify({ file: process.argv[1], self: (utime + stime) / 100, children: (cutime + cstime) / 100, ...times })}\n`);
  });
}
