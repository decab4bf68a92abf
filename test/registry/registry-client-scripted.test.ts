// The registry client against a scripted server, for what Debian's docker-registry 2.8 cannot be made
// to do: honour `n` (so no paging), answer 429/503, answer slowly, redirect, revoke a token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { RegistryConfig } from '../../src/config/schema.js';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { MANIFEST_ACCEPT, RegistryClient, type RegistryClientOptions } from '../../src/registry/registry-client.js';
import { gate } from '../queue/gate.js';
import { RecordingLogger } from './recording-logger.js';
import { reply, startScriptedRegistry, type Handler, type ScriptedRegistry } from './scripted-registry.js';

const FAST: Partial<RegistryClientOptions> = { timeoutMs: 2_000 };
const PASSWORD = 's3cr3t-PASSWORD';
const TOKEN_PREFIX = 't0ken-SECRET-';

function settings(host: string, extra: Partial<RegistryConfig> = {}): RegistryConfig {
  return { host, insecure: true, concurrency: 4, ...extra };
}

function tagsPage(tags: string[], next?: string): Handler {
  return (_req, res) => reply(res, 200, { name: 'acme/app', tags }, next ? { link: next } : {});
}

/** Pages keyed by the `last` query parameter ('' for the first page). */
function pages(byLast: Record<string, { tags: string[]; link?: string }>): Handler {
  return (req, res) => {
    const last = new URL(req.url!, 'http://x').searchParams.get('last') ?? '';
    const page = byLast[last];
    if (!page) return reply(res, 404, { errors: [{ code: 'NAME_UNKNOWN' }] });
    reply(res, 200, { name: 'acme/app', tags: page.tags }, page.link ? { link: page.link } : {});
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RegistryClient against a scripted server', () => {
  let server: ScriptedRegistry;
  let other: ScriptedRegistry;
  before(async () => {
    [server, other] = await Promise.all([startScriptedRegistry(), startScriptedRegistry()]);
  });
  after(async () => Promise.all([server?.close(), other?.close()]));
  const client = (extra: Partial<RegistryClientOptions> = {}, log?: RecordingLogger, registry: Partial<RegistryConfig> = {}) =>
    new RegistryClient([settings(server.host, registry)], log, { ...FAST, ...extra });

  describe('paging', () => {
    const cases: Array<{ label: string; handler: () => Handler; tags: string[]; requests: number }> = [
      {
        label: 'a relative next link',
        handler: () => pages({ '': { tags: ['a', 'b'], link: '</v2/acme/app/tags/list?n=2&last=b>; rel="next"' }, b: { tags: ['c'] } }),
        tags: ['a', 'b', 'c'],
        requests: 2,
      },
      {
        label: 'an absolute next link on the same origin',
        handler: () => pages({ '': { tags: ['a'], link: `<${server.url}/v2/acme/app/tags/list?last=a>; rel=next` }, a: { tags: ['b'] } }),
        tags: ['a', 'b'],
        requests: 2,
      },
      {
        label: 'a next link after a prev link, with other parameters',
        handler: () =>
          pages({
            '': { tags: ['a'], link: '</v2/acme/app/tags/list?last=z>; rel="prev", </v2/acme/app/tags/list?last=a>; title="x"; rel="next"' },
            a: { tags: ['b'] },
          }),
        tags: ['a', 'b'],
        requests: 2,
      },
      {
        label: 'tags repeated across pages, kept once',
        handler: () => pages({ '': { tags: ['a', 'b'], link: '</v2/acme/app/tags/list?last=b>; rel="next"' }, b: { tags: ['b', 'c'] } }),
        tags: ['a', 'b', 'c'],
        requests: 2,
      },
      {
        label: 'a repository with "tags": null',
        handler: () => (_req, res) => reply(res, 200, { name: 'acme/app', tags: null }),
        tags: [],
        requests: 1,
      },
    ];
    for (const c of cases) {
      it(`follows ${c.label}`, async () => {
        server.script(c.handler());
        assert.deepEqual(await client().listTags(`${server.host}/acme/app`), c.tags);
        assert.equal(server.requests.length, c.requests);
      });
    }

    it('asks for pageSize tags per page', async () => {
      server.script(tagsPage(['a']));
      await client({ pageSize: 250 }).listTags(`${server.host}/acme/app`);
      assert.equal(server.requests[0]!.url, '/v2/acme/app/tags/list?n=250');
    });

    it('refuses a next page on another origin, without requesting it', async () => {
      other.script(tagsPage(['stolen']));
      server.script(tagsPage(['a'], `<${other.url}/v2/acme/app/tags/list?last=a>; rel="next"`));
      await assert.rejects(client().listTags(`${server.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /acme\/app: .*next page on another origin/);
        return true;
      });
      assert.equal(other.requests.length, 0);
    });

    it('stops at the page cap and warns', async () => {
      server.script((req, res) => {
        const last = Number(new URL(req.url!, 'http://x').searchParams.get('last') ?? 0);
        reply(res, 200, { tags: [`t${last}`] }, { link: `</v2/acme/app/tags/list?last=${last + 1}>; rel="next"` });
      });
      const log = new RecordingLogger();
      assert.deepEqual(await client({ maxPages: 3 }, log).listTags(`${server.host}/acme/app`), ['t0', 't1', 't2']);
      assert.equal(server.requests.length, 3);
      assert.ok(log.lines.some((l) => l.level === 'warn' && /page cap/.test(l.msg)));
    });

    it('stops when a next link points back to a page already read', async () => {
      server.script(tagsPage(['a'], '</v2/acme/app/tags/list?n=1000>; rel="next"'));
      const log = new RecordingLogger();
      assert.deepEqual(await client({}, log).listTags(`${server.host}/acme/app`), ['a']);
      assert.equal(server.requests.length, 1);
      assert.ok(log.lines.some((l) => l.level === 'warn' && /already read/.test(l.msg)));
    });
  });

  describe('digests', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    it('HEADs the manifest with every manifest type in Accept and reads Docker-Content-Digest', async () => {
      server.script((_req, res) => void res.writeHead(200, { 'docker-content-digest': digest }).end());
      assert.equal(await client().getDigest(`${server.host}/acme/app`, '1.0.0'), digest);
      assert.deepEqual(
        server.requests.map((r) => [r.method, r.url, r.accept]),
        [['HEAD', '/v2/acme/app/manifests/1.0.0', MANIFEST_ACCEPT]],
      );
    });

    it('hashes the manifest from a GET when HEAD brings no digest', async () => {
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
      server.script((req, res) => void res.writeHead(200).end(req.method === 'GET' ? manifest : undefined));
      const expected = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
      assert.equal(await client().getDigest(`${server.host}/acme/app`, '1.0.0'), expected);
      assert.deepEqual(server.requests.map((r) => r.method), ['HEAD', 'GET']);
    });

    it('refuses a malformed digest header', async () => {
      server.script((_req, res) => void res.writeHead(200, { 'docker-content-digest': 'md5:abc' }).end());
      await assert.rejects(client().getDigest(`${server.host}/acme/app`, '1.0.0'), /acme\/app:1\.0\.0: .*malformed/);
    });

    it('names the tag that is not there', async () => {
      server.script((_req, res) => reply(res, 404));
      await assert.rejects(client().getDigest(`${server.host}/acme/app`, '9.9.9'), (err: Error) => {
        assert.ok(err instanceof NotFoundError);
        assert.match(err.message, /acme\/app: tag 9\.9\.9 not found/);
        return true;
      });
    });
  });

  describe('manners', () => {
    // The client never waits or tries again itself: the scan job that called it is retried by the
    // queue, which honours the Retry-After carried on the error (SPEC §7, one retry layer).
    it('fails a 429 at once as rate limited, carrying Retry-After in seconds', async () => {
      server.script((_req, res) => reply(res, 429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '3600' }));
      await assert.rejects(client().listTags(`${server.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof TransientError);
        assert.equal(err.code, 'RATE_LIMITED');
        assert.equal(err.retryAfterMs, 3_600_000);
        assert.match(err.message, /acme\/app: rate limited .*HTTP 429; it asks us to wait 3600 s/);
        return true;
      });
      assert.equal(server.requests.length, 1);
    });

    it('fails a 503 at once as transient, carrying Retry-After as an HTTP date', async () => {
      // The client's clock stands still on a whole second (the date format has no milliseconds).
      const now = Math.floor(Date.now() / 1000) * 1000;
      server.script((_req, res) => reply(res, 503, undefined, { 'retry-after': new Date(now + 120_000).toUTCString() }));
      await assert.rejects(client({ now: () => now }).listTags(`${server.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof TransientError);
        assert.equal(err.code, 'TRANSIENT');
        assert.equal(err.retryAfterMs, 120_000);
        return true;
      });
      assert.equal(server.requests.length, 1);
    });

    it('fails a 5xx at once with a transient error naming the repository, without retrying', async () => {
      server.script((_req, res) => reply(res, 502));
      const log = new RecordingLogger();
      await assert.rejects(client({}, log).listTags(`${server.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof TransientError);
        assert.equal(err.code, 'TRANSIENT');
        assert.match(err.message, /acme\/app: .*HTTP 502/);
        return true;
      });
      assert.equal(server.requests.length, 1);
      assert.equal(log.lines.filter((l) => /retrying/.test(l.msg)).length, 0);
    });

    const final: Array<{ label: string; status: number; type: new (...args: never[]) => Error }> = [
      { label: '400', status: 400, type: InputError },
      { label: '501 (will not change)', status: 501, type: InputError },
      { label: '404', status: 404, type: NotFoundError },
      { label: '403', status: 403, type: UnauthorizedError },
    ];
    for (const c of final) {
      it(`does not retry HTTP ${c.label}`, async () => {
        server.script((_req, res) => reply(res, c.status));
        await assert.rejects(client().listTags(`${server.host}/acme/app`), (err: Error) => {
          assert.ok(err instanceof c.type, `${err.name}: ${err.message}`);
          assert.match(err.message, new RegExp(`${server.host}/acme/app`));
          return true;
        });
        assert.equal(server.requests.length, 1);
      });
    }

    it('times out a slow answer as transient, with a timeout message', async () => {
      server.script(async (_req, res) => {
        await sleep(600);
        if (!res.destroyed) reply(res, 200, { tags: [] });
      });
      await assert.rejects(client({ timeoutMs: 100 }).listTags(`${server.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof TransientError);
        assert.match(err.message, /acme\/app: request to 127\.0\.0\.1:\d+ timed out after 100 ms/);
        return true;
      });
      assert.equal(server.requests.length, 1);
    });

    const limits: Array<{ label: string; concurrency: number | undefined; expected: number }> = [
      { label: 'the default of 4', concurrency: undefined, expected: 4 },
      { label: 'a configured 2', concurrency: 2, expected: 2 },
      { label: 'a configured 7', concurrency: 7, expected: 7 },
    ];
    for (const c of limits) {
      it(`keeps at most ${c.label} requests in flight to one host`, async () => {
        // The first requests wait until the limit's worth has arrived, so the count reaches it however
        // slowly the client sends them (a client allowing fewer times out); each is then held 40 ms,
        // for a request past the limit to arrive while they are.
        let arrived = 0;
        const limitReached = gate();
        server.script(async (_req, res) => {
          if (++arrived === c.expected) limitReached.open();
          await limitReached.opened;
          await sleep(40);
          reply(res, 200, { tags: ['x'] });
        });
        // The schema always fills concurrency in; leaving it out shows the client's own default.
        const registry = { host: server.host, insecure: true, ...(c.concurrency ? { concurrency: c.concurrency } : {}) } as RegistryConfig;
        const limited = new RegistryClient([registry], undefined, FAST);
        await Promise.all(Array.from({ length: 16 }, (_, i) => limited.listTags(`${server.host}/acme/app${i}`)));
        assert.equal(server.requests.length, 16);
        assert.equal(server.maxInFlight, c.expected);
      });
    }

    const rateLimits: Array<{ label: string; remaining: string; limit?: string; level: 'warn' | 'debug'; value: number }> = [
      { label: 'plenty left', remaining: '76;w=21600', limit: '100;w=21600', level: 'debug', value: 76 },
      { label: 'under a tenth left', remaining: '9;w=21600', limit: '100;w=21600', level: 'warn', value: 9 },
      { label: 'none left, no limit header', remaining: '0', level: 'warn', value: 0 },
    ];
    for (const c of rateLimits) {
      it(`logs Docker Hub's ratelimit-remaining (${c.label}) at ${c.level}`, async () => {
        server.script((_req, res) =>
          reply(res, 200, { tags: ['x'] }, { 'ratelimit-remaining': c.remaining, ...(c.limit ? { 'ratelimit-limit': c.limit } : {}) }),
        );
        const log = new RecordingLogger();
        await client({}, log).listTags(`${server.host}/acme/app`);
        const line = log.lines.find((l) => /rate limit/.test(l.msg));
        assert.equal(line?.level, c.level);
        assert.equal((line?.obj as { remaining: number }).remaining, c.value);
      });
    }
  });

  describe('auth', () => {
    /** A registry that is its own realm: it issues `${TOKEN_PREFIX}N` and lets in what `accept` allows. */
    function tokenRegistry(accept: (token: string) => boolean, issued: string[] = []): Handler {
      return (req: IncomingMessage, res: ServerResponse) => {
        if (req.url!.startsWith('/token')) {
          const token = `${TOKEN_PREFIX}${issued.length + 1}`;
          issued.push(token);
          return reply(res, 200, { token, expires_in: 300 });
        }
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (bearer && accept(bearer)) return reply(res, 200, { tags: ['x'] });
        reply(res, 401, undefined, {
          'www-authenticate': `Bearer realm="${server.url}/token",service="scripted",scope="repository:acme/app:pull"`,
        });
      };
    }

    it('refetches a cached token once when the registry refuses it, then succeeds', async () => {
      let revoked = 0;
      server.script(tokenRegistry((token) => Number(token.slice(TOKEN_PREFIX.length)) > revoked));
      const c = client();
      await c.listTags(`${server.host}/acme/app`);
      revoked = 1; // the registry no longer takes the first token, as after a key rotation
      assert.deepEqual(await c.listTags(`${server.host}/acme/app`), ['x']);
      assert.deepEqual(
        server.requests.map((r) => `${r.url.split('?')[0]} ${r.authorization ?? '-'}`),
        [
          '/v2/acme/app/tags/list -',
          '/token -',
          `/v2/acme/app/tags/list Bearer ${TOKEN_PREFIX}1`,
          `/v2/acme/app/tags/list Bearer ${TOKEN_PREFIX}1`,
          '/token -',
          `/v2/acme/app/tags/list Bearer ${TOKEN_PREFIX}2`,
        ],
      );
    });

    it('refetches only once when the registry keeps refusing tokens, and names the realm', async () => {
      const issued: string[] = [];
      server.script(tokenRegistry(() => false, issued));
      const c = client();
      await assert.rejects(c.listTags(`${server.host}/acme/app`), UnauthorizedError);
      issued.length = 0;
      await assert.rejects(c.listTags(`${server.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof UnauthorizedError);
        assert.match(err.message, new RegExp(`acme/app: .*refused the token from ${server.url}/token \\(HTTP 401\\)`));
        return true;
      });
      assert.equal(issued.length, 2, 'a token for the known challenge, then one fresh one');
    });

    it('shares one token request among concurrent requests for a repository', async () => {
      const issued: string[] = [];
      server.script(tokenRegistry(() => true, issued));
      const c = client();
      await c.listTags(`${server.host}/acme/app`); // learns the challenge
      issued.length = 0;
      await Promise.all(Array.from({ length: 6 }, () => c.listTags(`${server.host}/acme/other`)));
      assert.equal(issued.length, 1);
    });

    const redirects: Array<{ label: string; target: () => ScriptedRegistry; expected: string | undefined }> = [
      { label: 'drops Authorization on a redirect to another origin', target: () => other, expected: undefined },
      { label: 'keeps Authorization on a redirect within the origin', target: () => server, expected: `Basic ${b64(`bot:${PASSWORD}`)}` },
    ];
    for (const c of redirects) {
      it(c.label, async () => {
        const target = c.target();
        other.script((_req, res) => reply(res, 200, { tags: ['moved'] }));
        server.script((req, res) => {
          if (req.url!.startsWith('/moved')) return reply(res, 200, { tags: ['moved'] });
          if (!req.headers.authorization) return reply(res, 401, undefined, { 'www-authenticate': 'Basic realm="scripted"' });
          res.writeHead(307, { location: `${target.url}/moved/tags/list` }).end();
        });
        const c2 = client({}, undefined, { auth: { username: 'bot', password: PASSWORD } });
        assert.deepEqual(await c2.listTags(`${server.host}/acme/app`), ['moved']);
        const seen = target.requests.find((r) => r.url.startsWith('/moved'));
        assert.ok(seen, 'the redirect was followed');
        assert.equal(seen.authorization, c.expected);
      });
    }
  });

  describe('secrets', () => {
    const basic = { auth: { username: 'bot', password: PASSWORD } };
    const scenarios: Array<{ label: string; registry: Partial<RegistryConfig>; options?: Partial<RegistryClientOptions>; handler: () => Handler }> = [
      {
        label: 'basic credentials refused',
        registry: basic,
        handler: () => (_req, res) => reply(res, 401, undefined, { 'www-authenticate': 'Basic realm="scripted"' }),
      },
      {
        label: 'realm refuses the credentials',
        registry: basic,
        handler: () => (req, res) =>
          req.url!.startsWith('/token')
            ? reply(res, 401, { details: PASSWORD })
            : reply(res, 401, undefined, { 'www-authenticate': `Bearer realm="${server.url}/token",service="s"` }),
      },
      {
        label: 'registry fails after a token was issued',
        registry: basic,
        handler: () => (req, res) => {
          if (req.url!.startsWith('/token')) return reply(res, 200, { token: `${TOKEN_PREFIX}x` });
          if (!req.headers.authorization) return reply(res, 401, undefined, { 'www-authenticate': `Bearer realm="${server.url}/token"` });
          reply(res, 500, { echoed: req.headers.authorization });
        },
      },
      {
        label: 'registry times out with credentials in the request',
        registry: basic,
        options: { timeoutMs: 100 },
        handler: () => async (req, res) => {
          if (!req.headers.authorization) return reply(res, 401, undefined, { 'www-authenticate': 'Basic realm="scripted"' });
          await sleep(400);
          if (!res.destroyed) reply(res, 200, { tags: [] });
        },
      },
      {
        label: 'the realm sends a body that is not a token',
        registry: basic,
        handler: () => (req, res) =>
          req.url!.startsWith('/token')
            ? void res.writeHead(200).end(`{"token": ${TOKEN_PREFIX}`)
            : reply(res, 401, undefined, { 'www-authenticate': `Bearer realm="${server.url}/token"` }),
      },
    ];
    for (const s of scenarios) {
      it(`keeps the password and token out of the error and logs when ${s.label}`, async () => {
        server.script(s.handler());
        const log = new RecordingLogger();
        let caught: unknown;
        await client(s.options, log, s.registry)
          .listTags(`${server.host}/acme/app`)
          .catch((err: unknown) => (caught = err));
        assert.ok(caught instanceof Error, 'the request failed');
        assert.match(caught.message, /acme\/app/);
        const everything = `${inspect(caught, { depth: null, showHidden: true })}\n${JSON.stringify(caught)}\n${log.text()}`;
        for (const secret of [PASSWORD, b64(`bot:${PASSWORD}`), TOKEN_PREFIX]) assert.ok(!everything.includes(secret), `leaked ${secret}`);
      });
    }
  });
});

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}
