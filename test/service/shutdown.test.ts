// The real executable: `tagpilot serve` answers, then SIGTERM drains and exits 0; SIGHUP reloads.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceUrl } from '../../src/serve.js';
import { builtMain } from '../helpers/built-dist.js';
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
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const match = /"port":(\d+),.*"msg":"serving /.exec(stderr);
          if (match) resolve(Number(match[1]));
        });
        child.on('exit', () => reject(new Error(`exited early:\n${stderr}`)));
      });
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      // What `npm start` shows a person: where to browse, and which config is in force.
      assert.match(stderr, new RegExp(`"msg":"serving http://127\\.0\\.0\\.1:${port}/ with config ${configPath.replace(/[.]/g, '\\.')}"`));

      child.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (!stderr.includes('config reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(stderr, /config reloaded/);

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /"msg":"stopped"/);
      assert.equal(stdout, '', 'logs go to stderr only');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
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
