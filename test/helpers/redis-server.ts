// A throwaway redis-server on 127.0.0.1 for queue and lock tests.
import { connect } from 'node:net';
import { startDaemon, DaemonStartError, type Daemon } from './daemon-process.js';
import { getFreePort, isAddressInUse } from './free-port.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  url: string;
  host: string;
  port: number;
  /** Graceful shutdown and removal of the data folder. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; the port stays reserved for restart(). */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port after kill() or stop(), to test reconnects. */
  restart(): Promise<void>;
}

const START_ATTEMPTS = 3;

export async function startRedis(options: { timeoutMs?: number } = {}): Promise<RedisServer> {
  const dir = await makeTempDir('redis');
  let port = 0;
  let daemon: Daemon | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      port = await getFreePort();
      try {
        daemon = await launch(port, dir, options.timeoutMs);
        break;
      } catch (err) {
        // Another process may grab the probed port before redis binds it; try a new one.
        if (attempt < START_ATTEMPTS && err instanceof DaemonStartError && isAddressInUse(err.output)) continue;
        throw err;
      }
    }
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  let current: Daemon = daemon;
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await current.stop();
      await removeTempDir(dir);
    },
    kill: () => current.kill(),
    async restart() {
      if (stopped) throw new Error('redis server was stopped; start a new one');
      await current.stop();
      current = await launch(port, dir, options.timeoutMs);
    },
  };
}

async function launch(port: number, dir: string, timeoutMs = 10_000): Promise<Daemon> {
  const daemon = startDaemon({
    name: 'redis-server',
    command: 'redis-server',
    // No persistence: tests want an empty server each time and no dump written on shutdown.
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--loglevel', 'warning'],
    cwd: dir,
  });
  await daemon.waitUntilReady(() => ping(port), { timeoutMs });
  return daemon;
}

/** Speaks just enough RESP to know the server answers commands, not merely accepts connections. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
