// The registry client against real docker-registry instances (anonymous, htpasswd, token auth),
// and against a small scripted server for what the real one cannot show (paging, 429, 5xx).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RegistryConfig } from '../../src/config/schema.js';
import { NotFoundError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { parseRepository } from '../../src/registry/image-reference.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';

const FAST = { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2000, timeoutMs: 2000 };

function settings(host: string, extra: Partial<RegistryConfig> = {}): RegistryConfig {
  return { host, insecure: true, concurrency: 4, ...extra };
}

describe('parseRepository', () => {
  const cases: Array<[string, string, string, string]> = [
    ['nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['bitnami/redis', 'docker.io', 'registry-1.docker.io', 'bitnami/redis'],
    ['docker.io/nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['index.docker.io/library/nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx'],
    ['ghcr.io/acme/app', 'ghcr.io', 'ghcr.io', 'acme/app'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000', '127.0.0.1:5000', 'team/app'],
    ['localhost/app', 'localhost', 'localhost', 'app'],
  ];
  for (const [input, host, apiHost, path] of cases) {
    it(`${input} → ${host} ${path}`, () => assert.deepEqual(parseRepository(input), { host, apiHost, path }));
  }
});

describe('RegistryClient against docker-registry', () => {
  let open: TestRegistry;
  let basic: TestRegistry;
  let token: TestRegistry;
  before(async () => {
    [open, basic, token] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: { kind: 'htpasswd', username: 'bot', password: 'pw' } }),
      startRegistry({ auth: { kind: 'token', username: 'bot', password: 'pw', anonymousPull: false } }),
    ]);
    await Promise.all([open, basic, token].map((r) => r.pushImage('acme/app', '1.0.0')));
    await Promise.all([open, basic, token].map((r) => r.pushImage('acme/app', '1.1.0')));
  });
  after(async () => Promise.all([open, basic, token].map((r) => r?.stop())));

  it('lists tags anonymously over plain HTTP when insecure', async () => {
    const client = new RegistryClient([settings(open.host)], undefined, FAST);
    assert.deepEqual((await client.listTags(`${open.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
  });

  it('resolves a digest by HEAD', async () => {
    const pushed = await open.pushImage('acme/app', '1.2.0', { content: 'unique' });
    const client = new RegistryClient([settings(open.host)], undefined, FAST);
    assert.equal(await client.getDigest(`${open.host}/acme/app`, '1.2.0'), pushed.digest);
  });

  it('names the repository when it does not exist', async () => {
    const client = new RegistryClient([settings(open.host)], undefined, FAST);
    await assert.rejects(client.listTags(`${open.host}/acme/nope`), (err: Error) => {
      assert.ok(err instanceof NotFoundError);
      assert.match(err.message, /acme\/nope/);
      return true;
    });
  });

  it('uses basic auth, and reports a refusal without the password', async () => {
    const good = new RegistryClient([settings(basic.host, { auth: { username: 'bot', password: 'pw' } })], undefined, FAST);
    assert.deepEqual((await good.listTags(`${basic.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
    const bad = new RegistryClient([settings(basic.host, { auth: { username: 'bot', password: 'hunter2' } })], undefined, FAST);
    await assert.rejects(bad.listTags(`${basic.host}/acme/app`), (err: Error) => {
      assert.ok(err instanceof UnauthorizedError);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
    const none = new RegistryClient([settings(basic.host)], undefined, FAST);
    await assert.rejects(none.listTags(`${basic.host}/acme/app`), UnauthorizedError);
  });

  it('follows the bearer challenge to the token realm and caches the token', async () => {
    const client = new RegistryClient([settings(token.host, { auth: { username: 'bot', password: 'pw' } })], undefined, FAST);
    const before = token.tokenRequests!.length;
    assert.deepEqual((await client.listTags(`${token.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
    await client.listTags(`${token.host}/acme/app`);
    const asked = token.tokenRequests!.slice(before);
    assert.equal(asked.length, 1, 'the second listing reuses the cached token');
    assert.equal(asked[0]!.username, 'bot');
    assert.deepEqual(asked[0]!.scopes, ['repository:acme/app:pull']);
  });

  it('reports which realm refused bad token credentials', async () => {
    const client = new RegistryClient([settings(token.host, { auth: { username: 'bot', password: 'nope' } })], undefined, FAST);
    await assert.rejects(client.listTags(`${token.host}/acme/app`), (err: Error) => {
      assert.ok(err instanceof UnauthorizedError);
      assert.match(err.message, /token service http:\/\/127\.0\.0\.1:\d+\/token refused/);
      return true;
    });
  });
});

describe('RegistryClient against a scripted server', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  let handler: Handler = (_req, res) => res.end();
  let host = '';
  const server = createServer((req, res) => handler(req, res));
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = () => new RegistryClient([settings(host)], undefined, FAST);

  it('follows relative Link pages', async () => {
    handler = (req, res) => {
      const url = new URL(req.url!, 'http://x');
      const last = url.searchParams.get('last');
      if (!last) {
        res.setHeader('link', '</v2/acme/app/tags/list?n=2&last=b>; rel="next"');
        res.end(JSON.stringify({ name: 'acme/app', tags: ['a', 'b'] }));
      } else res.end(JSON.stringify({ name: 'acme/app', tags: ['c'] }));
    };
    assert.deepEqual(await client().listTags(`${host}/acme/app`), ['a', 'b', 'c']);
  });

  it('refuses a next page on another origin', async () => {
    handler = (_req, res) => {
      res.setHeader('link', '<http://198.51.100.7/v2/acme/app/tags/list?last=b>; rel="next"');
      res.end(JSON.stringify({ tags: ['a'] }));
    };
    await assert.rejects(client().listTags(`${host}/acme/app`), /another origin/);
  });

  it('waits for Retry-After on 429, then succeeds', async () => {
    const times: number[] = [];
    handler = (_req, res) => {
      times.push(Date.now());
      if (times.length === 1) {
        res.writeHead(429, { 'retry-after': '1' });
        res.end();
      } else res.end(JSON.stringify({ tags: ['x'] }));
    };
    assert.deepEqual(await client().listTags(`${host}/acme/app`), ['x']);
    assert.ok(times[1]! - times[0]! >= 950, `waited ${times[1]! - times[0]!} ms`);
  });

  it('retries 5xx and gives up with a transient error naming the repository', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.writeHead(503);
      res.end();
    };
    await assert.rejects(
      new RegistryClient([settings(host)], undefined, { ...FAST, attempts: 3 }).listTags(`${host}/acme/app`),
      (err: Error) => err instanceof TransientError && /acme\/app.*503/.test(err.message),
    );
    assert.equal(calls, 3);
  });
});
