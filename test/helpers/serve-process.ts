// A `tagpilot serve` child process as the tests watch it: what it logs (on stderr) collected, and the
// port it serves on read from its "serving" line, so that it can listen on port 0.
import type { ChildProcess } from 'node:child_process';

export interface ServeLog {
  /** The port from the "serving" line; rejects, with what it logged, if the process exits first. */
  port: Promise<number>;
  /** Everything the process has logged so far. */
  text(): string;
}

/** Starts collecting `child`'s stderr; call it right after spawning, with stderr piped. */
export function watchServeLog(child: ChildProcess): ServeLog {
  let text = '';
  const port = new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /"port":(\d+),[^\n]*"msg":"serving /.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', () => reject(new Error(`exited early:\n${text}`)));
  });
  return { port, text: () => text };
}
