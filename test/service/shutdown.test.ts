// The real executable: `tagpilot serve` answers, then SIGTERM drains and exits 0; SIGHUP reloads.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceUrl } from '../../src/serve.js';
import { builtMain } from '../helpers/built-dist.js';
import { watchServeLog } from '../helpers/serve-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** The built program (dist/main.js), what the package and the container run. */
const MAIN = await builtMain();

describe('tagpilot serve process', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('shutdown');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('serves, reloads on SIGHUP, and exits 0 on SIGTERM', async () => {
    const configPath = join(dir, 'tagpilot.yaml');
    await writeFile(configPath, `server: { host: 127.0.0.1, port: 0 }\nstateDir: ${join(dir, 'state')}\n`);
    const child = spawn(process.execPath, [MAIN, 'serve', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const log = watchServeLog(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await log.port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      // Started as the npm bin starts it, it runs with serve's V8 flags, as the same process (the
      // signals below reach it); see v8FlagsOf for the Node versions without process.execve.
      assert.deepEqual(await v8FlagsOf(child.pid!), REEXEC ? ['--max-semi-space-size=16', '--no-concurrent-recompilation', '--no-concurrent-sweeping'] : []);
      // What `npm start` shows a person: where to browse, and which config is in force.
      assert.match(log.text(), new RegExp(`"msg":"serving http://127\\.0\\.0\\.1:${port}/ with config ${configPath.replace(/[.]/g, '\\.')}"`));

      child.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (!log.text().includes('config reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(log.text(), /config reloaded/);

      child.kill('SIGTERM');
      assert.equal(await exited, 0, log.text());
      assert.match(log.text(), /"msg":"stopped"/);
      assert.equal(stdout, '', 'logs go to stderr only');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

/** Whether this Node can re-exec serve with its V8 flags (process.execve, Node >= 22.15). */
const REEXEC = typeof process.execve === 'function';

/** The node options on a live process's command line (Linux /proc), before the script. */
async function v8FlagsOf(pid: number): Promise<string[]> {
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').slice(1);
  return args.slice(0, args.indexOf(MAIN));
}

/** Starts `tagpilot serve` (after `nodeArgs`, with `env` added), waits until it serves, and returns its V8 flags; then stops it. */
async function serveFlags(dir: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = [], ipc = false): Promise<string[]> {
  const configPath = join(dir, 'tagpilot.yaml');
  await writeFile(configPath, `server: { host: 127.0.0.1, port: 0 }\nstateDir: ${join(dir, 'state')}\n`);
  const child = spawn(process.execPath, [...nodeArgs, MAIN, 'serve', '--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe', ...(ipc ? (['ipc'] as const) : [])],
    env: { ...process.env, ...env },
  });
  const log = watchServeLog(child);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    await log.port;
    if (ipc) assert.ok(child.connected, 'the IPC channel is still open');
    return await v8FlagsOf(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe("serve's V8 flags", () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('serve-flags');
  });
  after(async () => {
    if (dir) await removeTempDir(dir);
  });

  // The container sets what NODE_OPTIONS may carry (the Dockerfile); Node refuses --no-concurrent-recompilation and --no-concurrent-sweeping there.
  it('adds only those NODE_OPTIONS does not set', async () => {
    assert.deepEqual(await serveFlags(dir, { NODE_OPTIONS: '--max_semi_space_size=8' }), REEXEC ? ['--no-concurrent-recompilation', '--no-concurrent-sweeping'] : []);
  });

  it('keeps those given on the command line, and adds only the others', async () => {
    assert.deepEqual(
      await serveFlags(dir, {}, ['--max-semi-space-size=4']),
      REEXEC ? ['--max-semi-space-size=4', '--no-concurrent-recompilation', '--no-concurrent-sweeping'] : ['--max-semi-space-size=4'],
    );
  });

  it('adds none when each is given, either way', async () => {
    assert.deepEqual(await serveFlags(dir, {}, ['--max-semi-space-size=4', '--concurrent-recompilation', '--concurrent-sweeping']), [
      '--max-semi-space-size=4',
      '--concurrent-recompilation',
      '--concurrent-sweeping',
    ]);
  });

  // An exec would close the channel the parent talks to it on.
  it('adds none when started with an IPC channel', async () => {
    assert.deepEqual(await serveFlags(dir, {}, [], true), []);
  });

  it('adds none with TAGPILOT_SERVE_REEXEC=0', async () => {
    assert.deepEqual(await serveFlags(dir, { TAGPILOT_SERVE_REEXEC: '0' }), []);
  });
});

describe('serviceUrl', () => {
  const cases: Array<[string, number, string]> = [
    ['0.0.0.0', 8080, 'http://localhost:8080/'],
    ['::', 8080, 'http://localhost:8080/'],
    ['127.0.0.1', 9000, 'http://127.0.0.1:9000/'],
    ['::1', 9000, 'http://[::1]:9000/'],
  ];
  for (const [host, port, url] of cases) {
    it(`${host}:${port} → ${url}`, () => assert.equal(serviceUrl(host, port), url));
  }
});
