// The small process that starts the test helpers' commands (see spawn-light.ts): one per test process,
// which sends it ["spawn" | "in" | "end" | "kill", id, …] and gets back ["out" | "eof" | "exit" |
// "error" | "close", id, …]. When the test process goes, however it goes, the channel closes and
// every command still running here is killed.
import { spawn } from 'node:child_process';

const children = new Map();
const send = (message) => process.connected && process.send(message);

process.on('message', ([kind, id, ...rest]) => {
  if (kind === 'spawn') {
    const [command, args, options] = rest;
    const child = spawn(command, args, { ...options, stdio: 'pipe' });
    children.set(id, child);
    child.stdin.on('error', () => {});
    for (const [fd, stream] of [[1, child.stdout], [2, child.stderr]]) {
      stream.on('data', (chunk) => send(['out', id, fd, chunk]));
      stream.on('end', () => send(['eof', id, fd]));
    }
    child.on('error', (err) => send(['error', id, err.message, err.code]));
    child.on('exit', (code, signal) => send(['exit', id, code, signal]));
    child.on('close', (code, signal) => {
      children.delete(id);
      send(['close', id, code, signal]);
    });
    return;
  }
  const child = children.get(id);
  if (!child) return;
  if (kind === 'in') child.stdin.write(rest[0]);
  else if (kind === 'end') child.stdin.end();
  else if (kind === 'kill') child.kill(rest[0]);
});

process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});
