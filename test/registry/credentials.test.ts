// Where registry credentials come from: the config, a Docker config's auths, or a credential helper.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { credentialsFor } from '../../src/registry/credentials.js';
import type { Credentials } from '../../src/registry/credentials.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { dockerAuth, prependPath, writeCredentialHelper, writeDockerConfig } from './credential-scripts.js';

const SECRET = 'hunter2-SECRET';

describe('credentialsFor', () => {
  let dir = '';
  let restorePath = (): void => {};
  before(async () => {
    dir = await makeTempDir('credentials');
    await writeCredentialHelper(dir, 'fake', {
      'registry.example.com': { username: 'helper-user', secret: SECRET },
      'https://index.docker.io/v1/': { username: 'hub-user', secret: SECRET },
      'broken.example.com': { fail: `leaky ${SECRET}` },
      'empty.example.com': 'not-found',
    });
    restorePath = prependPath(dir);
  });
  after(async () => {
    restorePath();
    await removeTempDir(dir);
  });

  it('takes a username and password from the config as they are', async () => {
    const settings = { host: 'r.example.com', insecure: false, concurrency: 4, auth: { username: 'bot', password: SECRET } };
    assert.deepEqual(await credentialsFor('r.example.com', settings), { username: 'bot', password: SECRET });
  });

  it('is anonymous without auth settings', async () => {
    assert.equal(await credentialsFor('r.example.com', undefined), null);
    assert.equal(await credentialsFor('r.example.com', { host: 'r.example.com', insecure: false, concurrency: 4 }), null);
  });

  const cases: Array<{ label: string; host: string; config: unknown; expected: Credentials | null }> = [
    {
      label: 'auths.<host>.auth, base64 user:password',
      host: 'registry.example.com:5000',
      config: { auths: { 'registry.example.com:5000': { auth: dockerAuth('bot', `pa:ss${SECRET}`) } } },
      expected: { username: 'bot', password: `pa:ss${SECRET}` },
    },
    {
      label: 'auths.<host> with username and password fields',
      host: 'registry.example.com',
      config: { auths: { 'registry.example.com': { username: 'bot', password: SECRET } } },
      expected: { username: 'bot', password: SECRET },
    },
    {
      label: 'an auths key with scheme and path',
      host: 'ghcr.io',
      config: { auths: { 'https://ghcr.io/v2/': { auth: dockerAuth('bot', SECRET) } } },
      expected: { username: 'bot', password: SECRET },
    },
    {
      label: "Docker Hub under docker login's https://index.docker.io/v1/ key",
      host: 'docker.io',
      config: { auths: { 'https://index.docker.io/v1/': { auth: dockerAuth('hub', SECRET) } } },
      expected: { username: 'hub', password: SECRET },
    },
    {
      label: 'no entry for the host',
      host: 'quay.io',
      config: { auths: { 'ghcr.io': { auth: dockerAuth('bot', SECRET) } } },
      expected: null,
    },
    {
      label: 'an entry with no credentials in it (as Docker Desktop leaves)',
      host: 'ghcr.io',
      config: { auths: { 'ghcr.io': {} } },
      expected: null,
    },
    {
      label: 'credHelpers naming a helper for the host',
      host: 'registry.example.com',
      config: { credHelpers: { 'registry.example.com': 'fake' }, auths: { 'registry.example.com': { auth: dockerAuth('stale', 'x') } } },
      expected: { username: 'helper-user', password: SECRET },
    },
    {
      label: 'credsStore for every host, Docker Hub asked by its v1 URL',
      host: 'docker.io',
      config: { credsStore: 'fake' },
      expected: { username: 'hub-user', password: SECRET },
    },
    {
      label: 'a helper that has nothing, falling back to auths',
      host: 'empty.example.com',
      config: { credsStore: 'fake', auths: { 'empty.example.com': { auth: dockerAuth('file', SECRET) } } },
      expected: { username: 'file', password: SECRET },
    },
    {
      label: 'a helper that has nothing and no auths entry',
      host: 'empty.example.com',
      config: { credsStore: 'fake' },
      expected: null,
    },
  ];
  for (const c of cases) {
    it(`reads a Docker config: ${c.label}`, async () => {
      const path = await writeDockerConfig(dir, c.config, `${c.label.replace(/\W+/g, '-')}.json`);
      const settings = { host: c.host, insecure: false, concurrency: 4, auth: { dockerConfig: path } };
      assert.deepEqual(await credentialsFor(c.host, settings), c.expected);
    });
  }

  it('asks the helper for the host it was given', async () => {
    const path = await writeDockerConfig(dir, { credHelpers: { 'registry.example.com': 'fake' } }, 'asks.json');
    await credentialsFor('registry.example.com', { host: 'registry.example.com', insecure: false, concurrency: 4, auth: { dockerConfig: path } });
    const calls = (await readFile(join(dir, 'fake.calls'), 'utf8')).trim().split('\n');
    assert.equal(calls.at(-1), 'registry.example.com');
  });

  const failures: Array<{ label: string; host: string; config: unknown; message: RegExp }> = [
    { label: 'a file that is not JSON', host: 'r.example.com', config: '{"auths": ', message: /docker config .* not JSON/ },
    { label: 'auths of the wrong shape', host: 'r.example.com', config: { auths: { 'r.example.com': 'x' } }, message: /unexpected values at auths\.r\.example\.com/ },
    { label: 'an auth that is not user:password', host: 'r.example.com', config: { auths: { 'r.example.com': { auth: 'bm9jb2xvbg' } } }, message: /not base64 "user:password"/ },
    { label: 'a helper that is not on PATH', host: 'r.example.com', config: { credsStore: 'missing' }, message: /docker-credential-missing is not on PATH/ },
    { label: 'a helper that fails', host: 'broken.example.com', config: { credsStore: 'fake' }, message: /docker-credential-fake get failed for broken\.example\.com \(exit 3\)/ },
    { label: 'a helper name that is a path', host: 'r.example.com', config: { credsStore: '../../bin/sh' }, message: /not a plain name/ },
  ];
  for (const f of failures) {
    it(`fails clearly, without secrets, on ${f.label}`, async () => {
      const path = await writeDockerConfig(dir, f.config, `fail-${f.label.replace(/\W+/g, '-')}.json`);
      await assert.rejects(credentialsFor(f.host, { host: f.host, insecure: false, concurrency: 4, auth: { dockerConfig: path } }), (err: Error) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, f.message);
        assert.ok(!inspect(err, { depth: null }).includes(SECRET));
        return true;
      });
    });
  }

  it('names the missing file', async () => {
    const settings = { host: 'r.example.com', insecure: false, concurrency: 4, auth: { dockerConfig: join(dir, 'nope.json') } };
    await assert.rejects(credentialsFor('r.example.com', settings), /cannot read docker config .*nope\.json: ENOENT/);
  });
});
