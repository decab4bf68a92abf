// HTTPS registries: a private CA given as caFile is trusted, without it the certificate is refused,
// and credentials never go over plain HTTP from an HTTPS registry (realm or redirect).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { RegistryConfig } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/registry-client.js';
import { builtMain } from '../helpers/built-dist.js';
import { compiledScript } from '../helpers/compiled-script.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { CommandError, runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { reply, startScriptedRegistry, type ScriptedRegistry } from './scripted-registry.js';

const FAST: Partial<RegistryClientOptions> = { timeoutMs: 5000 };

/** A CA, and a certificate it signed for 127.0.0.1 and localhost. */
async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const file = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runCommand('openssl', [
    'req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=tagpilot test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await runCommand('openssl', ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await runCommand('openssl', [
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext'),
  ]);
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key') };
}

/**
 * Pushes with the helper's pushImage in a child node that trusts the CA: fetch takes no CA option, but
 * NODE_EXTRA_CA_CERTS is read at start-up.
 */
async function pushOverTls(url: string, caFile: string, repo: string, tag: string): Promise<string> {
  const helper = compiledScript(fileURLToPath(new URL('../helpers/registry-push.ts', import.meta.url)));
  const script = `const { pushImage } = await import(${JSON.stringify(helper.url)});
const pushed = await pushImage(${JSON.stringify(url)}, async () => undefined, ${JSON.stringify(repo)}, ${JSON.stringify(tag)});
process.stdout.write(pushed.digest);`;
  const { stdout } = await runCommand(process.execPath, [...helper.execArgv, '--input-type=module', '-e', script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  return stdout;
}

describe('RegistryClient over TLS', () => {
  let dir = '';
  let certs: { caFile: string; certFile: string; keyFile: string };
  let registry: TestRegistry;
  let secure: ScriptedRegistry;
  let plain: ScriptedRegistry;
  let digest = '';
  before(async () => {
    dir = await makeTempDir('registry-tls');
    certs = await makeCertificates(dir);
    registry = await startRegistry({ tls: { certificateFile: certs.certFile, keyFile: certs.keyFile } });
    digest = await pushOverTls(registry.url, certs.caFile, 'acme/app', '1.0.0');
    const tls = { key: await readFile(certs.keyFile, 'utf8'), cert: await readFile(certs.certFile, 'utf8') };
    [secure, plain] = await Promise.all([startScriptedRegistry(tls), startScriptedRegistry()]);
  });
  after(async () => {
    await Promise.all([registry?.stop(), secure?.close(), plain?.close()]);
    await removeTempDir(dir);
  });

  const secureSettings = (host: string, extra: Partial<RegistryConfig> = {}): RegistryConfig => ({
    host,
    insecure: false,
    concurrency: 4,
    caFile: certs.caFile,
    ...extra,
  });

  it('trusts the registry certificate when caFile names its CA', async () => {
    const client = new RegistryClient([secureSettings(registry.host)], undefined, FAST);
    assert.deepEqual(await client.listTags(`${registry.host}/acme/app`), ['1.0.0']);
    assert.equal(await client.getDigest(`${registry.host}/acme/app`, '1.0.0'), digest);
  });

  const refusals: Array<{ label: string; settings: () => RegistryConfig[]; message: RegExp }> = [
    {
      label: 'without caFile, refuses the certificate and names the host',
      settings: () => [],
      message: /acme\/app: TLS connection to 127\.0\.0\.1:\d+ failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
    },
    {
      label: 'with a caFile of another CA, refuses the certificate',
      settings: () => [secureSettings(registry.host, { caFile: '/etc/ssl/certs/ca-certificates.crt' })],
      message: /TLS connection to 127\.0\.0\.1:\d+ failed .*caFile/,
    },
    {
      label: 'with a caFile that cannot be read, names the file',
      settings: () => [secureSettings(registry.host, { caFile: join(dir, 'missing.pem') })],
      message: /registries 127\.0\.0\.1:\d+: cannot read caFile .*missing\.pem: ENOENT/,
    },
  ];
  for (const r of refusals) {
    it(r.label, async () => {
      const client = new RegistryClient(r.settings(), undefined, FAST);
      await assert.rejects(client.listTags(`${registry.host}/acme/app`), (err: Error) => {
        assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
        assert.match(err.message, r.message);
        return true;
      });
      // Not retried: the client has no retry of its own, and InputError is permanent, so the queue
      // does not retry it either (src/failure-kind.ts).
    });
  }

  it('does not send credentials to a plain-HTTP realm named by an HTTPS registry', async () => {
    plain.script((_req, res) => reply(res, 200, { token: 'never' }));
    secure.script((_req, res) => reply(res, 401, undefined, { 'www-authenticate': `Bearer realm="${plain.url}/token",service="s"` }));
    const client = new RegistryClient([secureSettings(secure.host, { auth: { username: 'bot', password: 'pw' } })], undefined, FAST);
    await assert.rejects(client.listTags(`${secure.host}/acme/app`), /acme\/app: token realm http:\/\/127\.0\.0\.1:\d+\/token is plain HTTP; refusing/);
    assert.equal(plain.requests.length, 0);
  });

  // The bundle loads node:tls and node:https when a request first needs them (scripts/build.mjs):
  // the same listing and refusal from the shipped program, whose got reaches them through stand-ins.
  const bundled: Array<{ label: string; caFile: () => string | undefined; exit: number; output: RegExp }> = [
    { label: 'the bundle lists the tags over TLS with caFile', caFile: () => certs.caFile, exit: 0, output: /1\.0\.0/ },
    {
      label: 'the bundle refuses the certificate without caFile',
      caFile: () => undefined,
      exit: 1,
      output: /TLS connection to 127\.0\.0\.1:\d+ failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
    },
  ];
  for (const b of bundled) {
    it(b.label, async () => {
      const config = join(dir, `bundle-${b.exit}.yaml`);
      const caFile = b.caFile();
      await writeFile(config, `registries:\n  - host: ${registry.host}\n${caFile ? `    caFile: ${caFile}\n` : ''}`);
      const run = await runCommand(process.execPath, [await builtMain(), 'scan', `${registry.host}/acme/app`, '--config', config], {
        env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' },
      }).then(
        (result) => ({ ...result, exitCode: 0 }),
        (err: unknown) => {
          if (!(err instanceof CommandError)) throw err;
          return err;
        },
      );
      assert.equal(run.exitCode, b.exit, run.stdout + run.stderr);
      assert.match(run.stdout + run.stderr, b.output);
    });
  }

  it('refuses a redirect from HTTPS to plain HTTP', async () => {
    plain.script((_req, res) => reply(res, 200, { tags: ['downgraded'] }));
    secure.script((_req, res) => void res.writeHead(302, { location: `${plain.url}/v2/acme/app/tags/list` }).end());
    const client = new RegistryClient([secureSettings(secure.host)], undefined, FAST);
    await assert.rejects(client.listTags(`${secure.host}/acme/app`), /acme\/app: https:\/\/127\.0\.0\.1:\d+ redirected to http:\/\/127\.0\.0\.1:\d+, leaving HTTPS; refused/);
    assert.equal(plain.requests.length, 0);
  });
});
