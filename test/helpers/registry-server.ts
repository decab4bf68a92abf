// A real docker-registry (distribution 2.8) on 127.0.0.1, optionally behind htpasswd or token auth.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { startDaemon, DaemonStartError, type Daemon } from './daemon-process.js';
import { getFreePort, isAddressInUse } from './free-port.js';
import { htpasswdLine } from './htpasswd.js';
import { expectStatus, pushImage, type PushImageOptions, type PushedImage, type RegistryAuthorizer } from './registry-push.js';
import { makeTokenSigningCert, startTokenServer, type TokenRequest, type TokenServer, type TokenServerOptions } from './registry-token-server.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

export type RegistryAuth =
  | { kind: 'htpasswd'; username: string; password: string }
  | {
      kind: 'token';
      username: string;
      password: string;
      /** Anonymous token requests get pull-only tokens; without this the realm answers 401. */
      anonymousPull?: boolean;
      /** Lifetime of issued tokens in seconds (default 300). */
      ttlSeconds?: number;
      /** Accepted with grant_type=refresh_token (see TokenServerOptions). */
      refreshToken?: string;
      /** Serves POST /oauth2/exchange on the realm's origin (see TokenServerOptions). */
      exchange?: TokenServerOptions['exchange'];
    };

export interface RegistryNotifications {
  /** Where the registry POSTs its event envelopes (application/vnd.docker.distribution.events.v1+json). */
  url: string;
  headers?: Record<string, string>;
}

/** PEM files for `http.tls`; the registry then serves HTTPS only. */
export interface RegistryTls {
  certificateFile: string;
  keyFile: string;
}

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  notifications?: RegistryNotifications;
  /**
   * Serve HTTPS with this certificate; `url` is then https://. The helper's own methods (pushImage,
   * listTags, deleteImage) use fetch, which cannot be told about a private CA, so they fail against a
   * certificate Node does not already trust.
   */
  tls?: RegistryTls;
  timeoutMs?: number;
}

export interface TestRegistry {
  /** "127.0.0.1:PORT", as an image reference's registry part. */
  host: string;
  /** "http://127.0.0.1:PORT" ("https://" with the tls option) */
  url: string;
  /** Token mode only: the realm URL the registry challenges with. */
  realm?: string;
  /** Token mode only: the service name the registry challenges with. */
  service?: string;
  /** Token mode only: every request the realm saw, oldest first. */
  tokenRequests?: TokenRequest[];
  /** The Authorization header value the helper itself uses for a scope (undefined without auth). */
  authorize: RegistryAuthorizer;
  /** Pushes a one-layer image and tags it; returns the manifest digest. */
  pushImage(repo: string, tag: string, options?: PushImageOptions): Promise<PushedImage>;
  /**
   * Deletes the manifest a tag or digest points to. The registry has no tag-only delete, so every
   * tag pointing at the same digest goes too.
   */
  deleteImage(repo: string, reference: string): Promise<void>;
  listTags(repo: string): Promise<string[]>;
  /** What the registry printed so far (log level warn), for debugging a failed test. */
  output(): string;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const TOKEN_SERVICE = 'tagpilot-test-registry';
const TOKEN_ISSUER = 'tagpilot-test-issuer';

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await makeTempDir('registry');
  let tokenServer: TokenServer | undefined;
  let daemon: Daemon | undefined;
  try {
    const auth = await prepareAuth(dir, options.auth);
    tokenServer = auth.tokenServer;
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await getFreePort();
      const configPath = join(dir, 'config.yml');
      // JSON is valid YAML, so no quoting rules to get wrong.
      await writeFile(configPath, JSON.stringify(registryConfig(dir, port, auth.config, options.notifications, options.tls), null, 2));
      daemon = startDaemon({ name: 'docker-registry', command: 'docker-registry', args: ['serve', configPath], cwd: dir });
      try {
        await daemon.waitUntilReady(() => (options.tls ? answersV2OverTls(port) : answersV2(port)), {
          timeoutMs: options.timeoutMs ?? 15_000,
        });
        break;
      } catch (err) {
        // Another process may grab the probed port before the registry binds it; try a new one.
        if (attempt < START_ATTEMPTS && err instanceof DaemonStartError && isAddressInUse(err.output)) continue;
        throw err;
      }
    }
    return makeHandle(dir, port, daemon, options.auth, tokenServer, options.tls ? 'https' : 'http');
  } catch (err) {
    await daemon?.kill();
    await tokenServer?.stop();
    await removeTempDir(dir);
    throw err;
  }
}

interface PreparedAuth {
  config?: Record<string, unknown>;
  tokenServer?: TokenServer;
}

async function prepareAuth(dir: string, auth: RegistryAuth | undefined): Promise<PreparedAuth> {
  if (!auth) return {};
  if (auth.kind === 'htpasswd') {
    const path = join(dir, 'htpasswd');
    await writeFile(path, `${await htpasswdLine(auth.username, auth.password)}\n`);
    return { config: { htpasswd: { realm: 'tagpilot-test', path } } };
  }
  const { keyPath, certPath } = await makeTokenSigningCert(dir);
  const tokenServer = await startTokenServer({
    username: auth.username,
    password: auth.password,
    anonymousPull: auth.anonymousPull,
    ttlSeconds: auth.ttlSeconds,
    refreshToken: auth.refreshToken,
    exchange: auth.exchange,
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    keyPath,
    certPath,
  });
  return {
    tokenServer,
    config: { token: { realm: tokenServer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: certPath } },
  };
}

function registryConfig(
  dir: string,
  port: number,
  auth: Record<string, unknown> | undefined,
  notifications: RegistryNotifications | undefined,
  tls?: RegistryTls,
): Record<string, unknown> {
  return {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'data') },
      delete: { enabled: true },
      // The purger would scan the tree on start; test registries live for seconds.
      maintenance: { uploadpurging: { enabled: false } },
    },
    // A fixed secret silences the "no HTTP secret" warning that would clutter the captured output.
    http: {
      addr: `127.0.0.1:${port}`,
      secret: randomBytes(16).toString('hex'),
      ...(tls ? { tls: { certificate: tls.certificateFile, key: tls.keyFile } } : {}),
    },
    health: { storagedriver: { enabled: false } },
    ...(auth ? { auth } : {}),
    ...(notifications
      ? {
          notifications: {
            events: { includereferences: true },
            endpoints: [
              {
                name: 'tagpilot-test',
                url: notifications.url,
                // The registry's config wants each header as a list of values.
                headers: Object.fromEntries(Object.entries(notifications.headers ?? {}).map(([k, v]) => [k, [v]])),
                // Short timeout and backoff so a webhook that was down is retried within a test's time.
                timeout: '2s',
                threshold: 3,
                backoff: '200ms',
              },
            ],
          },
        }
      : {}),
  };
}

async function answersV2(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1_000) });
  await res.arrayBuffer();
  // 401 means it is up and wants credentials, which is ready enough.
  return res.status === 200 || res.status === 401;
}

/** Readiness only: whether the TLS listener answers /v2/; the certificate is the test's business. */
function answersV2OverTls(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/v2/', rejectUnauthorized: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function makeHandle(
  dir: string,
  port: number,
  daemon: Daemon,
  auth: RegistryAuth | undefined,
  tokenServer: TokenServer | undefined,
  scheme: 'http' | 'https' = 'http',
): TestRegistry {
  const url = `${scheme}://127.0.0.1:${port}`;
  const authorize: RegistryAuthorizer = async (scope) => {
    if (!auth) return undefined;
    if (auth.kind === 'htpasswd') return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    // The helper signs its own token: same key and claims as the realm would give, one round trip fewer.
    return `Bearer ${tokenServer?.issueToken(auth.username, [scope])}`;
  };
  const withAuth = async (scope: string): Promise<Record<string, string>> => {
    const value = await authorize(scope);
    return value ? { authorization: value } : {};
  };
  let stopped = false;
  return {
    host: `127.0.0.1:${port}`,
    url,
    ...(tokenServer ? { realm: tokenServer.realm, service: TOKEN_SERVICE, tokenRequests: tokenServer.requests } : {}),
    authorize,
    pushImage: (repo, tag, options) => pushImage(url, authorize, repo, tag, options),
    async deleteImage(repo, reference) {
      const headers = await withAuth(`repository:${repo}:pull,delete`);
      let digest = reference;
      if (!reference.startsWith('sha256:')) {
        const head = await fetch(`${url}/v2/${repo}/manifests/${reference}`, {
          method: 'HEAD',
          headers: {
            ...headers,
            accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
          },
        });
        await expectStatus(head, 200, `resolve ${repo}:${reference}`);
        digest = head.headers.get('docker-content-digest') ?? '';
      }
      const res = await fetch(`${url}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers });
      await expectStatus(res, 202, `delete ${repo}@${digest}`);
    },
    async listTags(repo) {
      const res = await fetch(`${url}/v2/${repo}/tags/list`, { headers: await withAuth(`repository:${repo}:pull`) });
      if (res.status !== 200) throw new Error(`list tags of ${repo}: HTTP ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { tags: string[] | null };
      return body.tags ?? [];
    },
    output: () => daemon.output(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await daemon.stop();
      await tokenServer?.stop();
      await removeTempDir(dir);
    },
  };
}
