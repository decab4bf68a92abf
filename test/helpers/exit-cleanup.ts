// Cleanup that must happen when the test process ends without calling stop(): a failed assertion, an
// uncaught error, a cancelled test file or Ctrl-C must not leave registries, redis servers or temp
// folders behind.
import type { ChildProcess } from 'node:child_process';

const cleanups = new Set<() => void>();
let hooked = false;

function runAll(): void {
  // Newest first, like nested finally blocks: a daemon dies before its data folder is removed.
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: one failed cleanup must not stop the others.
    }
  }
  cleanups.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // A signal death skips 'exit' listeners, and a listener replaces node's default "die on signal";
    // so we clean up, then re-raise the signal so the process still dies the way it would have,
    // unless the test installed a handler of its own.
    process.once(signal, () => {
      runAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/**
 * Registers a synchronous cleanup for process exit ('exit' listeners cannot await); returns the
 * function that unregisters it, for when stop() did the work already.
 */
export function onProcessExit(cleanup: () => void): () => void {
  hook();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Kills a child with SIGKILL at process exit unless it has exited by then. */
export function trackChild(child: ChildProcess): void {
  const forget = onProcessExit(() => {
    // SIGKILL because there is no time left for a graceful shutdown.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.once('exit', forget);
  child.once('error', forget);
}
