// Long-running peer processes (registry, redis): started, watched until ready, stopped, and never left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackChild } from './exit-cleanup.js';
import { killIfOrphaned } from './orphan-watchdog.js';

/** Keep this much of a daemon's output: enough to show why it failed, bounded for chatty peers. */
const OUTPUT_LIMIT = 64 * 1024;

export interface DaemonOptions {
  /** Shown in errors, e.g. "docker-registry". */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The daemon died or never became ready; `output` is what it printed, for the test log. */
export class DaemonStartError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(output ? `${message}\n--- output ---\n${output.trimEnd()}` : message);
    this.name = 'DaemonStartError';
    this.output = output;
  }
}

export interface Daemon {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves when the process has exited, however that happened. */
  readonly exited: Promise<DaemonExit>;
  isRunning(): boolean;
  /** The last 64 KiB of stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** Polls `probe` until it resolves true; throws with the output if the daemon exits or time runs out. */
  waitUntilReady(probe: () => Promise<boolean>, options?: { timeoutMs?: number; intervalMs?: number }): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export function startDaemon(options: DaemonOptions): Daemon {
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  let exitInfo: DaemonExit | undefined;
  const append = (chunk: Buffer | string): void => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  const exited = new Promise<DaemonExit>((resolve) => {
    child.once('error', (err) => {
      // spawn failures (ENOENT, EACCES) come here instead of 'exit'.
      append(`\n[${options.name}: could not start: ${err.message}]\n`);
      exitInfo = { code: null, signal: null };
      resolve(exitInfo);
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  // A test that forgets stop() must not keep its file's process alive forever: nothing here holds
  // the event loop open, and exit-cleanup kills the daemon when the process ends (orphan-watchdog
  // does it if the process is SIGKILLed).
  child.unref();
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();

  if (child.pid !== undefined) {
    const forget = killIfOrphaned(child.pid);
    void exited.then(forget);
  }

  const isRunning = (): boolean => exitInfo === undefined;

  const waitGone = async (graceMs: number): Promise<void> => {
    if (!isRunning()) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name: options.name,
    pid: child.pid,
    exited,
    isRunning,
    output: () => output,
    async waitUntilReady(probe, { timeoutMs = 15_000, intervalMs = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!isRunning()) {
          const how = exitInfo?.signal ? `was killed by ${exitInfo.signal}` : `exited with code ${exitInfo?.code}`;
          throw new DaemonStartError(`${options.name} ${how} before it was ready`, output);
        }
        if (await probe().catch(() => false)) return;
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          await exited;
          throw new DaemonStartError(`${options.name} was not ready after ${timeoutMs} ms`, output);
        }
        await sleep(intervalMs);
      }
    },
    async stop(graceMs = 5_000) {
      if (isRunning()) child.kill('SIGTERM');
      await waitGone(graceMs);
    },
    async kill() {
      if (isRunning()) child.kill('SIGKILL');
      await waitGone(0);
    },
  };
}
