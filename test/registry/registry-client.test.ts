// The registry client against real docker-registry instances: no auth, htpasswd (Basic) and token auth.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { RegistryConfig } from '../../src/config/schema.js';
import { InputError, NotFoundError, UnauthorizedError } from '../../src/errors.js';
import { parseRepository } from '../../src/registry/image-reference.js';
import { registryHost } from '../../src/repository-name.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/registry-client.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { dockerAuth, prependPath, writeCredentialHelper, writeDockerConfig } from './credential-scripts.js';
import { RecordingLogger } from './recording-logger.js';

const FAST: Partial<RegistryClientOptions> = { timeoutMs: 5000 };
const USER = 'bot';
const PASSWORD = 'pw-SECRET-1';

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

describe('registryHost', () => {
  const cases: Array<[string, string]> = [
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['registry.hub.docker.com', 'docker.io'],
    ['ghcr.io', 'ghcr.io'],
    // A single-label host is never Docker Hub, even though `myregistry/app` as a repository would be.
    ['myregistry', 'myregistry'],
  ];
  for (const [input, expected] of cases) it(`${input} → ${expected}`, () => assert.equal(registryHost(input), expected));
});

describe('RegistryClient against docker-registry', () => {
  let open: TestRegistry;
  let basic: TestRegistry;
  let token: TestRegistry;
  let anonymousToken: TestRegistry;
  let dir = '';
  let restorePath = (): void => {};
  before(async () => {
    [open, basic, token, anonymousToken] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: { kind: 'htpasswd', username: USER, password: PASSWORD } }),
      startRegistry({ auth: { kind: 'token', username: USER, password: PASSWORD, anonymousPull: false } }),
      startRegistry({ auth: { kind: 'token', username: USER, password: PASSWORD, anonymousPull: true } }),
    ]);
    const all = [open, basic, token, anonymousToken];
    await Promise.all(all.map((r) => r.pushImage('acme/app', '1.0.0')));
    await Promise.all(all.map((r) => r.pushImage('acme/app', '1.1.0')));
    dir = await makeTempDir('registry-creds');
    await writeCredentialHelper(dir, 'test', {
      [basic.host]: { username: USER, secret: PASSWORD },
      [token.host]: { username: USER, secret: PASSWORD },
    });
    restorePath = prependPath(dir);
  });
  after(async () => {
    restorePath();
    await Promise.all([open, basic, token, anonymousToken].map((r) => r?.stop()));
    await removeTempDir(dir);
  });

  it('lists tags anonymously over plain HTTP when insecure', async () => {
    const client = new RegistryClient([settings(open.host)], undefined, FAST);
    assert.deepEqual((await client.listTags(`${open.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
  });

  for (const format of ['docker', 'oci'] as const) {
    it(`resolves the digest of a ${format} manifest by HEAD`, async () => {
      const pushed = await open.pushImage('acme/digest', `${format}-1`, { content: `unique ${format}`, format });
      const client = new RegistryClient([settings(open.host)], undefined, FAST);
      assert.equal(await client.getDigest(`${open.host}/acme/digest`, `${format}-1`), pushed.digest);
    });
  }

  const missing: Array<{ label: string; call: (c: RegistryClient) => Promise<unknown>; message: RegExp }> = [
    { label: 'repository', call: (c) => c.listTags(`${open.host}/acme/nope`), message: /acme\/nope: repository not found/ },
    { label: 'tag', call: (c) => c.getDigest(`${open.host}/acme/app`, '0.0.0'), message: /acme\/app: tag 0\.0\.0 not found/ },
  ];
  for (const m of missing) {
    it(`names the ${m.label} that does not exist`, async () => {
      const client = new RegistryClient([settings(open.host)], undefined, FAST);
      await assert.rejects(m.call(client), (err: Error) => {
        assert.ok(err instanceof NotFoundError);
        assert.match(err.message, m.message);
        return true;
      });
    });
  }

  it('refuses plain HTTP when insecure is false: a TLS error naming the host, at once', async () => {
    const client = new RegistryClient([settings(open.host, { insecure: false })], undefined, FAST);
    await assert.rejects(client.listTags(`${open.host}/acme/app`), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.code, 'TLS_FAILED');
      assert.match(err.message, new RegExp(`acme/app: TLS connection to ${open.host} failed`));
      return true;
    });
    // Not retried: the client has no retry of its own, and InputError is permanent, so the queue
    // does not retry it either (src/failure-kind.ts).
  });

  type Auth = (dir: string, host: string) => Promise<RegistryConfig['auth']>;
  const sources: Array<{ label: string; auth: Auth }> = [
    { label: 'password in the config', auth: async () => ({ username: USER, password: PASSWORD }) },
    {
      label: 'Docker config auths (base64 auth)',
      auth: async (d, host) => ({ dockerConfig: await writeDockerConfig(d, { auths: { [host]: { auth: dockerAuth(USER, PASSWORD) } } }, `auths-${host.replace(':', '_')}.json`) }),
    },
    {
      label: 'Docker config credHelpers (docker-credential-test)',
      auth: async (d, host) => ({ dockerConfig: await writeDockerConfig(d, { credHelpers: { [host]: 'test' } }, `helpers-${host.replace(':', '_')}.json`) }),
    },
    {
      label: 'Docker config credsStore (docker-credential-test)',
      auth: async (d, host) => ({ dockerConfig: await writeDockerConfig(d, { credsStore: 'test' }, `store-${host.replace(':', '_')}.json`) }),
    },
  ];
  for (const kind of ['basic', 'token'] as const) {
    for (const source of sources) {
      it(`authenticates to a ${kind} registry with the ${source.label}`, async () => {
        const registry = kind === 'basic' ? basic : token;
        const client = new RegistryClient([settings(registry.host, { auth: await source.auth(dir, registry.host) })], undefined, FAST);
        assert.deepEqual((await client.listTags(`${registry.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
      });
    }
  }

  const ttls: Array<{ label: string; ttlMs: number | undefined; calls: number }> = [
    { label: 'asks a credential helper once while its answer is fresh', ttlMs: undefined, calls: 1 },
    { label: 'asks a credential helper again once its answer is stale', ttlMs: 0, calls: 2 },
  ];
  for (const t of ttls) {
    it(t.label, async () => {
      const helperDir = await makeTempDir('registry-helper');
      const restore = prependPath(helperDir);
      try {
        await writeCredentialHelper(helperDir, 'counted', { [basic.host]: { username: USER, secret: PASSWORD } });
        const auth = { dockerConfig: await writeDockerConfig(helperDir, { credHelpers: { [basic.host]: 'counted' } }) };
        const client = new RegistryClient([settings(basic.host, { auth })], undefined, { ...FAST, ...(t.ttlMs === undefined ? {} : { credentialsTtlMs: t.ttlMs }) });
        await client.listTags(`${basic.host}/acme/app`);
        await client.listTags(`${basic.host}/acme/app`);
        const calls = (await readFile(join(helperDir, 'counted.calls'), 'utf8')).trim().split('\n');
        assert.deepEqual(calls, Array(t.calls).fill(basic.host));
      } finally {
        restore();
        await removeTempDir(helperDir);
      }
    });
  }

  it('reports a refused Basic login with the realm and without the password', async () => {
    const log = new RecordingLogger();
    const bad = new RegistryClient([settings(basic.host, { auth: { username: USER, password: 'hunter2-WRONG' } })], log, FAST);
    await assert.rejects(bad.listTags(`${basic.host}/acme/app`), (err: Error) => {
      assert.ok(err instanceof UnauthorizedError);
      assert.match(err.message, /acme\/app: .*refused our credentials \(HTTP 401, realm "tagpilot-test"\)/);
      for (const secret of ['hunter2-WRONG', dockerAuth(USER, 'hunter2-WRONG')]) {
        assert.ok(!`${inspect(err, { depth: null })}${log.text()}`.includes(secret));
      }
      return true;
    });
  });

  it('says credentials are needed when none are configured for a Basic registry', async () => {
    const none = new RegistryClient([settings(basic.host)], undefined, FAST);
    await assert.rejects(none.listTags(`${basic.host}/acme/app`), /acme\/app: .*requires credentials \(realm "tagpilot-test"\): no credentials configured for host /);
  });

  it('follows the bearer challenge to the realm with Basic credentials, and caches the token', async () => {
    const client = new RegistryClient([settings(token.host, { auth: { username: USER, password: PASSWORD } })], undefined, FAST);
    const before = token.tokenRequests!.length;
    assert.deepEqual((await client.listTags(`${token.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
    await client.listTags(`${token.host}/acme/app`);
    await client.getDigest(`${token.host}/acme/app`, '1.0.0');
    const asked = token.tokenRequests!.slice(before);
    assert.deepEqual(asked.map((r) => [r.username, r.scopes, r.status]), [[USER, ['repository:acme/app:pull'], 200]]);
  });

  it('asks the realm directly for a second repository once it knows the challenge', async () => {
    await token.pushImage('acme/second', '2.0.0');
    const client = new RegistryClient([settings(token.host, { auth: { username: USER, password: PASSWORD } })], undefined, FAST);
    await client.listTags(`${token.host}/acme/app`);
    const before = token.tokenRequests!.length;
    assert.deepEqual(await client.listTags(`${token.host}/acme/second`), ['2.0.0']);
    assert.deepEqual(token.tokenRequests!.slice(before).map((r) => r.scopes), [['repository:acme/second:pull']]);
  });

  it('uses an anonymous token when the realm gives one and no credentials are configured', async () => {
    const client = new RegistryClient([settings(anonymousToken.host)], undefined, FAST);
    const before = anonymousToken.tokenRequests!.length;
    assert.deepEqual((await client.listTags(`${anonymousToken.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
    assert.deepEqual(anonymousToken.tokenRequests!.slice(before).map((r) => [r.username, r.status]), [[undefined, 200]]);
  });

  it('refreshes a token once it has expired', async () => {
    // The client's clock, moved past the token's 300 s (the realm's expires_in) instead of waiting.
    let skipped = 0;
    const now = () => Date.now() + skipped;
    const client = new RegistryClient([settings(token.host, { auth: { username: USER, password: PASSWORD } })], undefined, { ...FAST, now });
    const before = token.tokenRequests!.length;
    await client.listTags(`${token.host}/acme/app`);
    await client.listTags(`${token.host}/acme/app`);
    assert.equal(token.tokenRequests!.length - before, 1, 'a fresh token is reused');
    skipped = 301_000;
    assert.deepEqual((await client.listTags(`${token.host}/acme/app`)).sort(), ['1.0.0', '1.1.0']);
    assert.equal(token.tokenRequests!.length - before, 2);
  });

  const refusals: Array<{ label: string; auth: RegistryConfig['auth']; message: RegExp }> = [
    { label: 'bad credentials', auth: { username: USER, password: 'nope-SECRET' }, message: /token service http:\/\/127\.0\.0\.1:\d+\/token refused our credentials \(HTTP 401\)/ },
    { label: 'no credentials', auth: undefined, message: /token service http:\/\/127\.0\.0\.1:\d+\/token refused anonymous access/ },
  ];
  for (const r of refusals) {
    it(`names the realm that refused ${r.label}, without the password`, async () => {
      const client = new RegistryClient([settings(token.host, r.auth ? { auth: r.auth } : {})], undefined, FAST);
      await assert.rejects(client.listTags(`${token.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof UnauthorizedError);
        assert.match(err.message, new RegExp(`${token.host}/acme/app: `));
        assert.match(err.message, r.message);
        assert.ok(!inspect(err, { depth: null }).includes('nope-SECRET'));
        return true;
      });
    });
  }
});
