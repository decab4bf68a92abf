// Starts a command from a small helper process instead of the test process. Linux copies a process's
// page tables to start a child, so a spawn from a test process holding 200 MB costs ~7 ms of CPU, one
// from a 50 MB process ~1.5 ms; the suite starts some 1,500 commands (git http-backend per request,
// git for fixtures). What comes back behaves, for what the helpers use, like a ChildProcess with
// piped stdio: stdin, stdout and stderr streams, kill(), exitCode/signalCode, and 'error', 'exit'
// and 'close' events in that order.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';

export interface LightChild extends EventEmitter {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface SpawnLightOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

type Message =
  | ['out', number, 1 | 2, Uint8Array]
  | ['eof', number, 1 | 2]
  | ['exit', number, number | null, NodeJS.Signals | null]
  | ['error', number, string, string | undefined]
  | ['close', number, number | null, NodeJS.Signals | null];

class Child extends EventEmitter implements LightChild {
  readonly stdout = new Readable({ read() {} });
  readonly stderr = new Readable({ read() {} });
  readonly stdin: Writable;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;

  constructor(
    private readonly id: number,
    readonly server: ChildProcess,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, done) => void server.send(['in', id, chunk], () => done()),
      final: (done) => void server.send(['end', id], () => done()),
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exitCode !== null || this.signalCode !== null || !this.server.connected) return false;
    this.server.send(['kill', this.id, signal]);
    return true;
  }

  receive(message: Message): void {
    const [kind] = message;
    if (kind === 'out') (message[2] === 1 ? this.stdout : this.stderr).push(Buffer.from(message[3]));
    else if (kind === 'eof') (message[2] === 1 ? this.stdout : this.stderr).push(null);
    else if (kind === 'exit') {
      this.exitCode = message[2];
      this.signalCode = message[3];
      this.emit('exit', message[2], message[3]);
    } else if (kind === 'error') {
      this.emit('error', Object.assign(new Error(message[2]), { code: message[3] }));
    } else {
      // As a ChildProcess: 'close' once both output streams have ended, each read to its end.
      const [, , code, signal] = message;
      const ended = [this.stdout, this.stderr].map((stream) => {
        if (stream.readableEnded) return undefined;
        stream.push(null);
        if (stream.listenerCount('data') === 0) stream.resume();
        return new Promise((resolve) => stream.once('end', resolve));
      });
      void Promise.all(ended).then(() => this.emit('close', code, signal));
    }
  }
}

const SERVER = new URL('./spawn-server.mjs', import.meta.url);
let server: ChildProcess | undefined;
let nextId = 1;
const running = new Map<number, Child>();

function spawnServer(): ChildProcess {
  if (server) return server;
  const started = fork(SERVER, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  started.on('message', (message: Message) => {
    const child = running.get(message[1]);
    if (!child) return;
    if (message[0] === 'close') running.delete(message[1]);
    child.receive(message);
    // While a command runs, its answer keeps the test process alive; otherwise the server must not.
    if (running.size === 0) started.channel?.unref();
  });
  started.on('exit', () => {
    if (server === started) server = undefined;
    for (const [id, child] of running) {
      if (child.server !== started) continue;
      running.delete(id);
      child.receive(['error', id, 'the spawn server exited', undefined]);
    }
  });
  // A send after the server went (a late kill) is answered by its 'exit' above.
  started.on('error', () => {});
  started.unref();
  started.channel?.unref();
  // Once the tests are done, the server is told to go and waited for: a test process that left it
  // to exit on its own would leave its and its commands' CPU time out of the suite's (`time npm test`).
  // (A command started after that gets a new server.)
  process.once('beforeExit', () => {
    if (server === started) server = undefined;
    started.ref();
    if (started.connected) started.disconnect();
  });
  server = started;
  return started;
}

/** Starts `command` with piped stdio from the small spawn server (one per test process, started on first use). */
export function spawnLight(command: string, args: readonly string[], options: SpawnLightOptions = {}): LightChild {
  const to = spawnServer();
  const id = nextId++;
  const child = new Child(id, to);
  running.set(id, child);
  to.channel?.ref();
  to.send(['spawn', id, command, args, { cwd: options.cwd, env: options.env ?? process.env }]);
  return child;
}
