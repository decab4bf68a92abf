// The HTTP client under isomorphic-git: each way a git server can fail becomes the tagpilot error
// the retry and rebuild logic expects, naming the remote; a server that stops answering times out.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { createGitHttpClient } from '../../src/git/git-http-client.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** A self-signed certificate for 127.0.0.1 that no CA vouches for. */
async function selfSigned(dir: string): Promise<{ key: string; cert: string }> {
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await runCommand('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert]);
  return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
}

describe('git HTTP client', () => {
  const answers = new Map<string, (res: ServerResponse) => void>([
    ['/ok', (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('fine')],
    ['/401', (res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('no')],
    ['/403', (res) => res.writeHead(403).end('forbidden')],
    ['/404', (res) => res.writeHead(404).end('missing')],
    ['/503', (res) => res.writeHead(503, { 'retry-after': '7' }).end('busy, come back later')],
    ['/413', (res) => res.writeHead(413).end('pack exceeds the maximum allowed size')],
    ['/422', (res) => res.writeHead(422).end('unprocessable')],
    ['/hang', () => {}],
    // A byte every 50 ms for ever: never silent, never done.
    [
      '/trickle',
      (res) => {
        res.writeHead(200);
        const timer = setInterval(() => res.write('.'), 50);
        res.on('close', () => clearInterval(timer));
      },
    ],
    ['/moved', (res) => res.writeHead(302, { location: '/ok' }).end()],
  ]);
  const server = createServer((req, res) => {
    if (req.url === '/echo') {
      // The request body back, with the length the server saw.
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.writeHead(200, { 'x-length': String(Buffer.concat(chunks).byteLength) }).end(Buffer.concat(chunks)));
      return;
    }
    answers.get(req.url ?? '')?.(res);
  });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = () => createGitHttpClient('http://git.example.test/fleet.git', { timeouts: { idleMs: 300 } });

  it('passes a 200 through with its body', async () => {
    const res = await client().request({ url: `${base}/ok` });
    assert.equal(res.statusCode, 200);
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body!) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), 'fine');
  });

  const failures: Array<{ label: string; path: string; headers?: Record<string, string>; check: (err: unknown) => void }> = [
    {
      label: '401 to a request with credentials is a refusal of them',
      path: '/401',
      headers: { Authorization: 'Basic Ym90OnNlY3JldA==' },
      check: (err) => {
        assert.ok(err instanceof UnauthorizedError);
        assert.equal(err.message, 'http://git.example.test/fleet.git: the git server refused our credentials (HTTP 401)');
      },
    },
    {
      label: '401 to a request without credentials says some are needed',
      path: '/401',
      check: (err) => {
        assert.ok(err instanceof UnauthorizedError);
        assert.equal(err.message, 'http://git.example.test/fleet.git: the git server requires credentials (HTTP 401)');
      },
    },
    { label: '403 is one too', path: '/403', check: (err) => assert.ok(err instanceof UnauthorizedError) },
    { label: '404 is a missing repository', path: '/404', check: (err) => assert.ok(err instanceof NotFoundError) },
    {
      label: '503 is transient, with its Retry-After and the start of the body',
      path: '/503',
      check: (err) => {
        assert.ok(err instanceof TransientError);
        assert.equal(err.retryAfterMs, 7000);
        assert.match(err.message, /HTTP 503: busy, come back later$/);
      },
    },
    // Retrying these only repeats them: git used to call every status but 401/403/404 transient.
    {
      label: '413 is permanent, with the server\'s words',
      path: '/413',
      check: (err) => {
        assert.ok(err instanceof InputError && !(err instanceof TransientError));
        assert.equal(err.code, 'HTTP_413');
        assert.match(err.message, /HTTP 413: pack exceeds the maximum allowed size$/);
      },
    },
    { label: '422 is permanent', path: '/422', check: (err) => assert.ok(err instanceof InputError) },
    {
      label: 'a server that never answers times out',
      path: '/hang',
      check: (err) => {
        assert.ok(err instanceof TransientError);
        assert.match(err.message, /^http:\/\/git\.example\.test\/fleet\.git: no answer within 300 ms$/);
      },
    },
  ];
  for (const { label, path, headers, check } of failures) {
    // Bounded, so that a client without a deadline fails here instead of hanging the run.
    it(label, { timeout: 5000 }, async () => {
      await assert.rejects(client().request({ url: `${base}${path}`, ...(headers ? { headers } : {}) }), (err) => {
        check(err);
        return true;
      });
    });
  }

  const read = async (body: AsyncIterableIterator<Uint8Array> | undefined): Promise<Buffer> => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body!) chunks.push(chunk);
    return Buffer.concat(chunks);
  };

  it('streams a request body given as an async iterator (a push) or an array (a fetch)', async () => {
    async function* pack() {
      for (let i = 0; i < 64; i++) yield new Uint8Array(64 * 1024).fill(i);
    }
    // A 64 KB chunk is more than the request's buffer holds, so the push waits for a drain after each
    // one: a listener left on the request by each wait would pile up (Node warns past 10).
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const streamed = await client().request({ url: `${base}/echo`, method: 'POST', body: pack() });
      assert.equal(streamed.headers?.['x-length'], String(64 * 64 * 1024));
      assert.equal((await read(streamed.body)).byteLength, 64 * 64 * 1024);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
    const given: unknown = [Buffer.from('0032want '), Buffer.from('done')];
    const whole = await client().request({ url: `${base}/echo`, method: 'POST', body: given as AsyncIterableIterator<Uint8Array> });
    assert.equal((await read(whole.body)).toString(), '0032want done');
  });

  it('follows a redirect of a GET and reports where it ended', async () => {
    const res = await client().request({ url: `${base}/moved` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.url, `${base}/ok`);
    assert.equal((await read(res.body)).toString(), 'fine');
  });

  it('a response that never ends is cut at the request deadline, even while bytes keep coming', { timeout: 5000 }, async () => {
    const trickling = createGitHttpClient('http://git.example.test/fleet.git', { timeouts: { requestMs: 400, idleMs: 300 } });
    const res = await trickling.request({ url: `${base}/trickle` });
    await assert.rejects(read(res.body), (err: Error) => {
      assert.ok(err instanceof TransientError);
      assert.equal(err.message, 'http://git.example.test/fleet.git: no complete answer within 400 ms');
      return true;
    });
  });

  it('aborting the client signal (the service stops) ends a request in flight at once', { timeout: 5000 }, async () => {
    const stop = new AbortController();
    const stoppable = createGitHttpClient('http://git.example.test/fleet.git', { signal: stop.signal });
    const pending = stoppable.request({ url: `${base}/hang` });
    setTimeout(() => stop.abort(new Error('shutting down')), 50);
    await assert.rejects(pending, (err: Error) => {
      assert.ok(err instanceof TransientError);
      assert.equal(err.message, 'http://git.example.test/fleet.git: request abandoned: shutting down');
      return true;
    });
  });

  it('a server whose certificate we do not trust is a setup problem, not a retry', { timeout: 20_000 }, async () => {
    const dir = await makeTempDir('git-tls');
    const tls = createHttpsServer(await selfSigned(dir), (_req, res) => res.writeHead(200).end('fine'));
    try {
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/fleet.git/info/refs`;
      await assert.rejects(client().request({ url }), (err: Error) => {
        assert.ok(err instanceof InputError && !(err instanceof TransientError), `${err.name}: ${err.message}`);
        assert.equal(err.code, 'TLS_FAILED');
        assert.match(err.message, /^http:\/\/git\.example\.test\/fleet\.git: TLS connection failed \(DEPTH_ZERO_SELF_SIGNED_CERT: /);
        return true;
      });
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
      await removeTempDir(dir);
    }
  });

  it('a refused connection is transient and names the code', async () => {
    await assert.rejects(client().request({ url: 'http://127.0.0.1:9/fleet.git/info/refs' }), (err: Error) => {
      assert.ok(err instanceof TransientError);
      assert.equal(err.message, 'http://git.example.test/fleet.git: ECONNREFUSED');
      return true;
    });
  });
});
