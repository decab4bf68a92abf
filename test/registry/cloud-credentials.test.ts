// registries[].auth.provider end to end: `tagpilot scan` (the built program, dist/, in a real process,
// so each SDK runs as the bundle carries it and reads its own environment) lists tags from a real
// docker-registry behind token auth, with the credentials that the cloud's SDK minted from a stand-in
// of that cloud's token service. Then, in process: credentials reused while fresh and minted again
// before they expire, and failures classified and explained.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TransientError } from '../../src/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/registry-client.js';
import { ACR_SCOPE } from '../../src/registry/cloud-credentials/azure-acr.js';
import { startEcrStandIn, startEntraStandIn, startMetadataStandIn, testSecret } from '../helpers/cloud-token-services.js';
import { builtMain } from '../helpers/built-dist.js';
import { trackChild } from '../helpers/exit-cleanup.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const TAGS = ['1.0.0', '1.1.0'];

/** Runs the CLI with only `env` (plus PATH and an empty HOME): no developer's ~/.aws or gcloud leaks in. */
function tagpilot(args: string[], env: NodeJS.ProcessEnv, home: string): Promise<{ code: number | null; out: string; err: string }>;
function tagpilot(nodeArgs: string[], args: string[], env: NodeJS.ProcessEnv, home: string): Promise<{ code: number | null; out: string; err: string }>;
async function tagpilot(...given: unknown[]): Promise<{ code: number | null; out: string; err: string }> {
  const [nodeArgs, args, env, home] = (given.length === 3 ? [[], ...given] : given) as [string[], string[], NodeJS.ProcessEnv, string];
  const main = await builtMain();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, main, ...args], {
      env: { PATH: process.env.PATH, HOME: home, TAGPILOT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function configFor(dir: string, registry: TestRegistry, provider: string): Promise<string> {
  const path = join(dir, `${provider}.yaml`);
  await writeFile(path, `registries:\n  - host: ${registry.host}\n    insecure: true\n    auth: { provider: ${provider} }\n`);
  return path;
}

async function registryWithTags(auth: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const registry = await startRegistry(auth);
  for (const tag of TAGS) await registry.pushImage('acme/app', tag);
  registry.tokenRequests!.length = 0;
  return registry;
}

function scannedTags(out: string): string[] {
  return (JSON.parse(out) as { tags: string[] }).tags.sort();
}

describe('cloud registry identity', () => {
  let dir: string;
  let home: string;
  const stops: Array<() => Promise<void>> = [];
  before(async () => {
    dir = await makeTempDir('cloud');
    home = join(dir, 'home');
    await mkdir(home);
  });
  after(async () => {
    await Promise.all(stops.map((stop) => stop()));
    if (dir) await removeTempDir(dir);
  });

  it('aws: ECR GetAuthorizationToken, signed with the environment credentials, opens the registry as user AWS', async () => {
    const keys = { accessKeyId: 'AKIDTAGPILOTTEST', secretAccessKey: testSecret('secret') };
    const password = testSecret('ecr-password');
    const ecr = await startEcrStandIn({ ...keys, region: 'eu-west-3', password, expiresInSeconds: 43_200 });
    const registry = await registryWithTags({ auth: { kind: 'token', username: 'AWS', password } });
    stops.push(ecr.stop, registry.stop);
    const run = await tagpilot(['scan', `${registry.host}/acme/app`, '--json', '--config', await configFor(dir, registry, 'aws')], {
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      // The test registry's host names no region, so the SDK's own setting says it.
      AWS_REGION: 'eu-west-3',
      AWS_ENDPOINT_URL_ECR: ecr.url,
      AWS_EC2_METADATA_DISABLED: 'true',
    }, home);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(scannedTags(run.out), TAGS);
    assert.deepEqual(ecr.calls, [{ path: '/', status: 200 }]);
    assert.ok(registry.tokenRequests!.some((r) => r.username === 'AWS' && r.status === 200));
    assert.ok(!run.err.includes(password) && !run.err.includes(keys.secretAccessKey));
  });

  it('aws: a request signed with the wrong secret is refused by the stand-in, and tagpilot says so without the secret', async () => {
    const ecr = await startEcrStandIn({ accessKeyId: 'AKIDTAGPILOTTEST', secretAccessKey: testSecret('right'), region: 'eu-west-3', password: 'unused', expiresInSeconds: 60 });
    const registry = await startRegistry({ auth: { kind: 'token', username: 'AWS', password: testSecret('p') } });
    stops.push(ecr.stop, registry.stop);
    const wrong = testSecret('wrong');
    const run = await tagpilot(['scan', `${registry.host}/acme/app`, '--json', '--config', await configFor(dir, registry, 'aws')], {
      AWS_ACCESS_KEY_ID: 'AKIDTAGPILOTTEST',
      AWS_SECRET_ACCESS_KEY: wrong,
      AWS_REGION: 'eu-west-3',
      AWS_ENDPOINT_URL_ECR: ecr.url,
      AWS_EC2_METADATA_DISABLED: 'true',
    }, home);
    assert.equal(run.code, 1, run.out);
    assert.deepEqual(ecr.calls.map((c) => c.refusal), ['signature does not verify']);
    assert.match(run.err, /aws credentials: the token service refused our identity \(HTTP 403\)/);
    assert.ok(!run.err.includes(wrong));
  });

  it('gcp: an access token from the metadata server (workload identity) opens the registry as oauth2accesstoken', async () => {
    const accessToken = testSecret('ya29');
    const metadata = await startMetadataStandIn({ accessToken, expiresInSeconds: 3599 });
    const registry = await registryWithTags({ auth: { kind: 'token', username: 'oauth2accesstoken', password: accessToken } });
    stops.push(metadata.stop, registry.stop);
    const run = await tagpilot(['scan', `${registry.host}/acme/app`, '--json', '--config', await configFor(dir, registry, 'gcp')], {
      GCE_METADATA_HOST: metadata.host,
    }, home);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(scannedTags(run.out), TAGS);
    assert.ok(metadata.calls.some((c) => c.path.endsWith('/service-accounts/default/token') && c.status === 200), JSON.stringify(metadata.calls));
    assert.deepEqual(metadata.calls.filter((c) => c.refusal), []);
    assert.ok(registry.tokenRequests!.some((r) => r.username === 'oauth2accesstoken' && r.status === 200));
  });

  it('azure: a workload identity token from Entra ID, exchanged at /oauth2/exchange, then a refresh_token grant', async () => {
    const federatedToken = testSecret('aks-sa-token');
    const entraToken = testSecret('entra');
    const refreshToken = testSecret('acr-refresh');
    const entra = await startEntraStandIn({ tenantId: 'tenant-1', clientId: 'client-1', federatedToken, accessToken: entraToken, scope: ACR_SCOPE, dir });
    const exchanges: string[] = [];
    const registry = await registryWithTags({
      auth: {
        kind: 'token',
        username: 'unused',
        password: testSecret('unused'),
        refreshToken,
        // ACR's side: it takes the Entra ID token for its service and hands out a refresh token.
        exchange: (form) => {
          const problem =
            form.get('grant_type') !== 'access_token' ? 'grant_type' :
            form.get('access_token') !== entraToken ? 'access_token' :
            form.get('service') !== registry.service ? 'service' :
            form.get('tenant') !== 'tenant-1' ? 'tenant' : null;
          exchanges.push(problem ?? 'ok');
          return problem ? { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: problem }] } } : { status: 200, body: { refresh_token: refreshToken } };
        },
      },
    });
    stops.push(entra.stop, registry.stop);
    const tokenFile = join(dir, 'azure-identity-token');
    await writeFile(tokenFile, federatedToken);
    const run = await tagpilot(['scan', `${registry.host}/acme/app`, '--json', '--config', await configFor(dir, registry, 'azure')], {
      AZURE_AUTHORITY_HOST: entra.authorityHost,
      AZURE_TENANT_ID: 'tenant-1',
      AZURE_CLIENT_ID: 'client-1',
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      NODE_EXTRA_CA_CERTS: entra.caFile,
    }, home);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(scannedTags(run.out), TAGS);
    assert.deepEqual(entra.calls.filter((c) => c.refusal), []);
    assert.ok(entra.calls.some((c) => c.path === '/tenant-1/oauth2/v2.0/token' && c.status === 200));
    assert.deepEqual(exchanges, ['ok']);
    assert.ok(registry.tokenRequests!.some((r) => r.grantType === 'refresh_token' && r.status === 200));
  });

  it('check and --help load none of the cloud SDKs (they load when a registry is first asked)', async () => {
    // Hooks that refuse the SDKs: the commands fail if anything loads one eagerly, whether imported
    // as a package or bundled into a chunk of dist/ (its source map names the package's files).
    const hooks = join(dir, 'forbid-sdks.mjs');
    await writeFile(hooks, `import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const SDK = /^(@aws-sdk|@azure|google-auth-library|@octokit)\\b/;
export async function resolve(specifier, context, next) {
  if (SDK.test(specifier)) throw new Error('eagerly imported ' + specifier);
  return next(specifier, context);
}
export async function load(url, context, next) {
  const map = url.startsWith('file:') ? fileURLToPath(url) + '.map' : '';
  if (map && existsSync(map)) {
    const sdk = JSON.parse(readFileSync(map, 'utf8')).sources.map((s) => s.split('node_modules/').at(-1)).find((s) => SDK.test(s));
    if (sdk) throw new Error('eagerly loaded ' + url + ', which bundles ' + sdk);
  }
  return next(url, context);
}\n`);
    const register = join(dir, 'register-forbid.mjs');
    await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const config = join(dir, 'lazy.yaml');
    const key = join(dir, 'lazy-app.pem');
    await writeFile(key, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));
    await writeFile(config, `registries:
  - { host: 123456789012.dkr.ecr.eu-west-1.amazonaws.com, auth: { provider: aws } }
  - { host: europe-docker.pkg.dev, auth: { provider: gcp } }
  - { host: acme.azurecr.io, auth: { provider: azure } }
automations:
  - name: fleet
    git: { url: https://github.com/acme/fleet.git, auth: { githubApp: { appId: 1, installationId: 2, privateKeyFile: ${key} } } }
`);
    for (const args of [['check', '--config', config], ['--help']]) {
      const run = await tagpilot(['--import', register], args, {}, home);
      assert.equal(run.code, 0, run.err);
    }
  });

  const unavailable = [
    { provider: 'aws', env: { AWS_REGION: 'eu-west-3', AWS_EC2_METADATA_DISABLED: 'true' }, names: ['AWS_ACCESS_KEY_ID', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'instance metadata'] },
    { provider: 'gcp', env: { METADATA_SERVER_DETECTION: 'none' }, names: ['GOOGLE_APPLICATION_CREDENTIALS', 'metadata server'] },
    { provider: 'azure', env: { AZURE_TOKEN_CREDENTIALS: 'prod', IDENTITY_ENDPOINT: 'http://127.0.0.1:9/unreachable', IDENTITY_HEADER: 'x' }, names: ['AZURE_FEDERATED_TOKEN_FILE', 'managed identity'] },
  ];
  for (const c of unavailable) {
    it(`${c.provider}: no identity anywhere fails with the provider and where it looked`, async () => {
      const registry = await startRegistry({ auth: { kind: 'token', username: 'u', password: testSecret('p') } });
      stops.push(registry.stop);
      const run = await tagpilot(['scan', `${registry.host}/acme/app`, '--json', '--config', await configFor(dir, registry, c.provider)], c.env, home);
      assert.equal(run.code, 1, run.out);
      assert.match(run.err, new RegExp(`${c.provider} credentials: `));
      for (const name of c.names) assert.ok(run.err.includes(name), `${name} missing from: ${run.err}`);
    });
  }
});

describe('cloud credentials in a long-lived client (aws)', () => {
  const keys = { accessKeyId: 'AKIDTAGPILOTREFRESH', secretAccessKey: testSecret('secret') };
  const password = testSecret('ecr-password');
  const saved = { ...process.env };
  let registry: TestRegistry;
  let ecr: Awaited<ReturnType<typeof startEcrStandIn>>;
  before(async () => {
    // ECR passwords that last 3 s: renewed at half-life, so the second scan below needs a new one.
    ecr = await startEcrStandIn({ ...keys, region: 'us-east-2', password, expiresInSeconds: 3 });
    registry = await registryWithTags({ auth: { kind: 'token', username: 'AWS', password } });
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_REGION: 'us-east-2',
      AWS_ENDPOINT_URL_ECR: ecr.url,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
  });
  after(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    await Promise.all([ecr?.stop(), registry?.stop()]);
  });
  const client = (options: Partial<RegistryClientOptions> = {}) =>
    new RegistryClient([{ host: registry.host, insecure: true, auth: { provider: 'aws' }, concurrency: 4 }], undefined, options);

  it('reuses the password while fresh and mints a new one before it expires', async () => {
    // The client's clock, moved on instead of waiting.
    let skipped = 0;
    const registryClient = client({ now: () => Date.now() + skipped });
    assert.deepEqual((await registryClient.listTags(`${registry.host}/acme/app`)).sort(), TAGS);
    assert.deepEqual((await registryClient.getDigest(`${registry.host}/acme/app`, '1.0.0')).slice(0, 7), 'sha256:');
    assert.equal(ecr.calls.length, 1, 'a fresh password is reused');
    skipped = 1_700;
    assert.deepEqual((await registryClient.listTags(`${registry.host}/acme/app`)).sort(), TAGS);
    assert.equal(ecr.calls.length, 2, 'a password past half its life is replaced before use');
    assert.deepEqual(ecr.calls.filter((c) => c.refusal), []);
  });

  const failures = [
    { label: 'a token service answering 503 is transient', status: 503, transient: true, message: /aws credentials: the token service answered HTTP 503/ },
    { label: 'a refused identity (403) is permanent', status: 403, transient: false, message: /aws credentials: the token service refused our identity \(HTTP 403\)/ },
  ];
  for (const f of failures) {
    it(f.label, async () => {
      ecr.failNext(1, f.status);
      await assert.rejects(client().listTags(`${registry.host}/acme/app`), (err: unknown) => {
        assert.equal(err instanceof TransientError, f.transient, String(err));
        assert.match((err as Error).message, f.message);
        assert.ok(!(err as Error).message.includes(keys.secretAccessKey));
        return true;
      });
    });
  }
});
