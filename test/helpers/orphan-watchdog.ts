// Cleanup for the one case exit-cleanup cannot handle: the test process is SIGKILLed (a runner's
// timeout, the OOM killer) and runs no JavaScript at all.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * One small awk per test process reads "pid N" / "dir PATH" lines (and their "un" forms) from a pipe
 * to us. The kernel closes that pipe however we die, awk sees EOF, and its END block prints the kill
 * and rm commands for whatever is still registered, which sh runs. While we live, it only reads.
 */
const SCRIPT = `awk '
$1 == "pid" { pids[$2] = 1 }
$1 == "unpid" { delete pids[$2] }
$1 == "dir" { dirs[substr($0, 5)] = 1 }
$1 == "undir" { delete dirs[substr($0, 7)] }
END {
  for (p in pids) print "kill -KILL " p " 2>/dev/null"
  for (d in dirs) print "rm -rf -- \\047" d "\\047"
}' | sh`;

let watchdog: ChildProcess | undefined;

function send(line: string): void {
  if (!watchdog) {
    watchdog = spawn('sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    watchdog.on('error', () => {});
    watchdog.stdin?.on('error', () => {});
    // It must neither keep the test process alive nor die with our process group on Ctrl-C before
    // it has done its job (detached puts it in its own group).
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref();
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Kills `pid` if the test process dies without running its exit cleanup; returns the undo. */
export function killIfOrphaned(pid: number): () => void {
  send(`pid ${pid}`);
  return () => send(`unpid ${pid}`);
}

/** Removes `dir` if the test process dies without running its exit cleanup; returns the undo. */
export function removeIfOrphaned(dir: string): () => void {
  // The path is quoted for sh in the END block; names with quotes or newlines are not worth the risk.
  if (/['\n]/.test(dir)) return () => {};
  send(`dir ${dir}`);
  return () => send(`undir ${dir}`);
}
