// One-shot commands (git, openssl, perl) whose failure must show what the command printed.
import { spawnLight } from './spawn-light.js';

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Kills the command after this long; defaults to 30 s so a hung command fails the test instead of the suite. */
  timeoutMs?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** A command exited non-zero, was killed, or could not start; carries its output for the test log. */
export class CommandError extends Error {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  constructor(message: string, result: CommandResult & { exitCode: number | null }) {
    super(message);
    this.name = 'CommandError';
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.exitCode = result.exitCode;
  }
}

/** Runs a command to completion and resolves with its output; rejects with CommandError on failure. */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    // Killed with the test process by the spawn server, if still running then.
    const child = spawnLight(command, args, { cwd: options.cwd, env: options.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const output = (): CommandResult => ({
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    });
    const shown = `${command} ${args.join(' ')}`;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError(`${shown}: could not start: ${err.message}`, { ...output(), exitCode: null }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = output();
      if (code === 0) {
        resolve(result);
        return;
      }
      const why = timedOut ? `timed out after ${timeoutMs} ms` : signal ? `killed by ${signal}` : `exited with code ${code}`;
      reject(new CommandError(`${shown}: ${why}\n${result.stderr}${result.stdout}`.trimEnd(), { ...result, exitCode: code }));
    });
    // A command that exits without reading all of its stdin makes our write fail with EPIPE; its exit
    // status is what matters, so the write error is ignored.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
