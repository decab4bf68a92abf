// The HTTP client under isomorphic-git: each way a git server can fail becomes the tagpilot error
// the retry and rebuild logic expects, naming the remote; a server that stops answering times out.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { createGitHttpClient } from '../../src/git/git-http-client.js';

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
  ]);
  const server = createServer((req, res) => answers.get(req.url ?? '')?.(res));
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = () => createGitHttpClient('http://git.example.test/fleet.git', 300);

  it('passes a 200 through with its body', async () => {
    const res = await client().request({ url: `${base}/ok` });
    assert.equal(res.statusCode, 200);
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body!) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), 'fine');
  });

  const failures: Array<{ label: string; path: string; check: (err: unknown) => void }> = [
    {
      label: '401 is a refusal of our credentials',
      path: '/401',
      check: (err) => {
        assert.ok(err instanceof UnauthorizedError);
        assert.equal(err.message, 'http://git.example.test/fleet.git: the git server refused our credentials (HTTP 401)');
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
  for (const { label, path, check } of failures) {
    // Bounded, so that a client without a deadline fails here instead of hanging the run.
    it(label, { timeout: 5000 }, async () => {
      await assert.rejects(client().request({ url: `${base}${path}` }), (err) => {
        check(err);
        return true;
      });
    });
  }

  it('a refused connection is transient and names the code', async () => {
    await assert.rejects(client().request({ url: 'http://127.0.0.1:9/fleet.git/info/refs' }), (err: Error) => {
      assert.ok(err instanceof TransientError);
      assert.equal(err.message, 'http://git.example.test/fleet.git: ECONNREFUSED');
      return true;
    });
  });
});
