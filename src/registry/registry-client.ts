// A client of the OCI distribution API: lists tags and resolves digests, with the auth, paging and
// manners registries expect (Renovate's docker datasource is the model). It only fetches; deciding
// what to do with tags is src/policy's job.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { RegistryConfig } from '../config/schema.js';
import { InputError, NotFoundError, UnauthorizedError } from '../errors.js';
import { classifyStatus, statusError } from '../failure-kind.js';
import { parseAuthChallenge, type AuthChallenge } from './auth-challenge.js';
import { ECR_MAX_PAGE_SIZE, ecrRegion } from './cloud-credentials/aws-ecr.js';
import { CloudCredentials } from './cloud-credentials/cloud-credentials.js';
import type { CloudCredentialRequest } from './cloud-credentials/cloud-provider.js';
import { credentialsFor, type Credentials } from './credentials.js';
import { describeRegistryCredentials } from './registry-credential-source.js';
import { HostLimiter } from './host-limiter.js';
import { registryHost } from '../repository-name.js';
import { parseRepository, type RepositoryReference } from './image-reference.js';
import { nextPageUrl } from './next-page-url.js';
import { requestFailure } from './request-failure.js';
import { retryAfterMs } from '../retry-timing.js';
import { sendRegistryRequest, type RegistryRequest, type RegistryResponse } from './send-registry-request.js';
import { parseTagList } from './tag-list.js';
import { TokenCache, type IssuedToken } from './token-cache.js';
import { parseTokenResponse } from './token-response.js';

/** Manifest types we accept for a digest: OCI index/manifest and Docker list/v2. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** A manifest as the registry stored it. */
export interface FetchedManifest {
  /** sha256 of the bytes. */
  digest: string;
  mediaType: string;
  body: Buffer;
}

/** Requests in flight per host when registries[].concurrency is not set. */
export const DEFAULT_CONCURRENCY = 4;

/** Timeouts and paging limits; tests shrink them. Nothing here retries: the queue's job retry does (SPEC §7). */
export interface RegistryClientOptions {
  timeoutMs: number;
  /** tags/list pages followed before the list is cut short (with a warning). */
  maxPages: number;
  /** `n` on tags/list; capped at 1000 on ECR hosts, which refuse more. */
  pageSize: number;
  /** How long credentials from a Docker config or helper are reused before being read again. */
  credentialsTtlMs: number;
  /** The largest body read of each kind of answer; a larger one fails that image (ResponseTooLargeError). */
  maxBodyBytes: Record<BodyKind, number>;
  /** The clock tokens and credentials expire by, and a Retry-After date is read against (tests give their own). */
  now: () => number;
}

/** The answers whose size we cap, each with its own limit. */
export type BodyKind = 'tagsList' | 'manifest' | 'token' | 'blob';

/** How errors name each kind of answer. */
const BODY_NAMES: Record<BodyKind, string> = { tagsList: 'a tags/list page', manifest: 'a manifest', token: 'a token answer', blob: 'a signature blob' };

/** The defaults: 30 s timeouts, up to 100 pages of 1000 tags. */
export const DEFAULT_CLIENT_OPTIONS: RegistryClientOptions = {
  timeoutMs: 30_000,
  maxPages: 100,
  pageSize: 1000,
  credentialsTtlMs: 5 * 60_000,
  // A page of 1000 tags is ~50 KB, and a registry that ignores `n` and sends 100,000 tags ~5 MB;
  // 4 MiB is the manifest size registries accept (OCI distribution spec); tokens are a few KB.
  maxBodyBytes: { tagsList: 16 * 1024 * 1024, manifest: 4 * 1024 * 1024, token: 1024 * 1024, blob: 4 * 1024 * 1024 },
  now: Date.now,
};

/** Where the client logs; a subset of pino's logger. */
export interface RegistryLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What we know about one registry host, kept for the client's lifetime. */
interface HostState {
  host: string;
  settings: RegistryConfig | undefined;
  baseUrl: string;
  /** `n` on this host's tags/list. */
  pageSize: number;
  limiter: HostLimiter;
  /** The last auth challenge the host sent, so later repositories skip the 401 round trip. */
  challenge: AuthChallenge | null;
  credentials: { promise: Promise<Credentials | null>; readAt: number } | null;
  certificateAuthority: string[] | undefined | null;
}

/** One call against one repository. */
interface Target {
  ref: RepositoryReference;
  /** `host/path`, the repository as messages name it. */
  name: string;
  url: string;
  method: 'GET' | 'HEAD';
  accept?: string;
  body: BodyKind;
}

/** The Authorization we sent, and what we need to explain or undo it. */
type SentAuth =
  | { kind: 'basic'; header: string; realm: string; creds: Credentials }
  | { kind: 'bearer'; header: string; realm: string; key: string; token: string; anonymous: boolean };

const DIGEST_RE = /^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$/;

/** Lists tags and resolves digests on any OCI distribution registry. */
export class RegistryClient {
  private readonly settings: Map<string, RegistryConfig>;
  private readonly hosts = new Map<string, HostState>();
  private readonly tokens: TokenCache;
  private readonly cloud: CloudCredentials;
  private readonly options: RegistryClientOptions;

  constructor(
    registries: readonly RegistryConfig[] = [],
    private readonly log?: RegistryLogger,
    options: Partial<RegistryClientOptions> = {},
  ) {
    this.settings = new Map(registries.map((r) => [registryHost(r.host), r]));
    this.options = { ...DEFAULT_CLIENT_OPTIONS, ...options };
    this.tokens = new TokenCache(this.options.now);
    this.cloud = new CloudCredentials(this.options.now);
  }

  /** Every tag of `repository` in the registry's order, following `Link` pages up to the page cap. */
  async listTags(repository: string): Promise<string[]> {
    const ref = parseRepository(repository);
    const name = `${ref.host}/${ref.path}`;
    const tags = new Set<string>();
    const seen = new Set<string>();
    const host = this.host(ref);
    let url: string | null = `${host.baseUrl}/v2/${ref.path}/tags/list?n=${host.pageSize}`;
    while (url !== null) {
      if (seen.size >= this.options.maxPages) {
        this.log?.warn({ repository: name, pages: seen.size, tags: tags.size }, 'tag list cut short at the page cap');
        break;
      }
      seen.add(url);
      const response = await this.send({ ref, name, url, method: 'GET', body: 'tagsList' });
      for (const tag of parseTagList(response.body.toString('utf8'), name)) tags.add(tag);
      url = nextPageUrl(header(response, 'link'), url, name);
      if (url !== null && seen.has(url)) {
        this.log?.warn({ repository: name, url }, 'registry linked back to a page already read; stopping');
        break;
      }
    }
    return [...tags];
  }

  /** The digest of `repository:tag`, by HEAD (which Docker Hub does not count as a pull). */
  async getDigest(repository: string, tag: string): Promise<string> {
    const ref = parseRepository(repository);
    const name = `${ref.host}/${ref.path}`;
    const target: Target = {
      ref,
      name,
      url: `${this.host(ref).baseUrl}/v2/${ref.path}/manifests/${encodeURIComponent(tag)}`,
      method: 'HEAD',
      accept: MANIFEST_ACCEPT,
      body: 'manifest',
    };
    const head = header(await this.send(target), 'docker-content-digest');
    if (head !== undefined) {
      if (!DIGEST_RE.test(head)) throw new InputError(`${name}:${tag}: registry sent a malformed Docker-Content-Digest`);
      return head;
    }
    // The header is optional in the spec; the digest is then the hash of the manifest bytes.
    this.log?.debug({ repository: name, tag }, 'no Docker-Content-Digest on HEAD; hashing the manifest');
    const manifest = await this.send({ ...target, method: 'GET' });
    return `sha256:${createHash('sha256').update(manifest.body).digest('hex')}`;
  }

  /**
   * The manifest `reference` (a tag or digest) of `repository` as stored, or null when the registry
   * has none (absent is a value: an unsigned image simply has no signature manifest).
   */
  async getManifest(repository: string, reference: string, accept: string = MANIFEST_ACCEPT): Promise<FetchedManifest | null> {
    const ref = parseRepository(repository);
    const name = `${ref.host}/${ref.path}`;
    const url = `${this.host(ref).baseUrl}/v2/${ref.path}/manifests/${encodeURIComponent(reference)}`;
    const response = await this.sendOrNull({ ref, name, url, method: 'GET', accept, body: 'manifest' });
    if (!response) return null;
    const digest = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new InputError(`${name}@${reference}: the registry sent a manifest whose digest is ${digest}`);
    }
    return { digest, mediaType: header(response, 'content-type') ?? '', body: response.body };
  }

  /** The bytes of blob `digest` (sha256 only), checked against the digest. */
  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const ref = parseRepository(repository);
    const name = `${ref.host}/${ref.path}`;
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new InputError(`${name}: blob digest ${digest} is not a sha256 digest`);
    const url = `${this.host(ref).baseUrl}/v2/${ref.path}/blobs/${digest}`;
    const response = await this.send({ ref, name, url, method: 'GET', body: 'blob' });
    const actual = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
    if (actual !== digest) throw new InputError(`${name}: blob ${digest} arrived with digest ${actual}`);
    return response.body;
  }

  /**
   * The OCI 1.1 referrers index of `digest` (optionally only `artifactType`), or null when the registry
   * does not serve the referrers API (404): the caller then reads the `sha256-<hex>` tag instead.
   */
  async getReferrers(repository: string, digest: string, artifactType?: string): Promise<Buffer | null> {
    const ref = parseRepository(repository);
    const name = `${ref.host}/${ref.path}`;
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const url = `${this.host(ref).baseUrl}/v2/${ref.path}/referrers/${digest}${query}`;
    const response = await this.sendOrNull({ ref, name, url, method: 'GET', accept: 'application/vnd.oci.image.index.v1+json', body: 'manifest' });
    return response ? response.body : null;
  }

  /** send(), with a 404 as null. */
  private async sendOrNull(target: Target): Promise<RegistryResponse | null> {
    try {
      return await this.send(target);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  private host(ref: RepositoryReference): HostState {
    const { host } = ref;
    let state = this.hosts.get(host);
    if (!state) {
      const settings = this.settings.get(host);
      state = {
        host,
        settings,
        baseUrl: `${settings?.insecure ? 'http' : 'https'}://${ref.apiHost}`,
        // ECR answers n > 1000 with an error rather than a shorter page.
        pageSize: ecrRegion(host) !== undefined ? Math.min(this.options.pageSize, ECR_MAX_PAGE_SIZE) : this.options.pageSize,
        limiter: new HostLimiter(settings?.concurrency ?? DEFAULT_CONCURRENCY),
        challenge: null,
        credentials: null,
        certificateAuthority: null,
      };
      this.hosts.set(host, state);
    }
    return state;
  }

  /**
   * One request with auth and classified errors. A transient failure is thrown, not retried: the
   * scan job that called us is retried by the queue, honouring the registry's Retry-After.
   */
  private async send(target: Target): Promise<RegistryResponse> {
    const host = this.host(target.ref);
    return host.limiter.run(() => this.sendAuthenticated(host, target));
  }

  /**
   * Sends with the auth the host asked for before; on a 401, answers the new challenge and sends once
   * more. A second 401 (or one after fresh credentials) is final: retrying cannot change it.
   */
  private async sendAuthenticated(host: HostState, target: Target): Promise<RegistryResponse> {
    let auth = host.challenge ? await this.authorize(host, host.challenge, target) : null;
    let response = await this.request(host, target, auth?.header);
    if (response.statusCode === 401) {
      const challenge = parseAuthChallenge(header(response, 'www-authenticate'));
      if (auth?.kind === 'basic') {
        // The challenge these credentials answered: a cloud provider's are cached under it.
        if (host.challenge) this.forgetCloudCredentials(host, host.challenge, auth.creds);
        throw refused(host, target, auth, 401);
      }
      if (auth?.kind === 'bearer') this.tokens.invalidate(auth.key, auth.token);
      if (!challenge) throw new UnauthorizedError(`${target.name}: ${target.ref.apiHost} answered 401 without a challenge`);
      host.challenge = challenge;
      auth = await this.authorize(host, challenge, target);
      if (!auth) {
        const realm = challenge.params.realm ? ` (realm "${challenge.params.realm}")` : '';
        throw new UnauthorizedError(`${target.name}: ${target.ref.apiHost} requires credentials${realm}: ${credentialHint(host, false)}`);
      }
      response = await this.request(host, target, auth.header);
      if (response.statusCode === 401) {
        if (auth.kind === 'bearer') this.tokens.invalidate(auth.key, auth.token);
        else this.forgetCloudCredentials(host, challenge, auth.creds);
        throw refused(host, target, auth, 401);
      }
    }
    return this.classify(response, host, target, auth);
  }

  /** The Authorization answering `challenge`, or null when we have nothing to answer it with. */
  private async authorize(host: HostState, challenge: AuthChallenge, target: Target): Promise<SentAuth | null> {
    if (challenge.scheme === 'basic') {
      const creds = await this.credentials(host, challenge);
      return creds ? { kind: 'basic', header: basicHeader(creds), realm: challenge.params.realm ?? host.host, creds } : null;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new UnauthorizedError(`${target.name}: ${target.ref.apiHost} asks for unsupported authentication "${challenge.scheme}"`);
    }
    // Our own pull scope, not the challenge's, so every request for a repository shares one cache entry.
    const scope = `repository:${target.ref.path}:pull`;
    const key = `${host.host}|${challenge.params.realm}|${scope}`;
    const creds = await this.credentials(host, challenge);
    const token = await this.tokens.get(key, () => this.fetchToken(host, challenge, scope, creds, target.name));
    return { kind: 'bearer', header: `Bearer ${token}`, realm: challenge.params.realm, key, token, anonymous: !creds };
  }

  /** GETs a token from the challenge's realm, with Basic credentials when we have them (Docker token spec). */
  private async fetchToken(
    host: HostState,
    challenge: AuthChallenge,
    scope: string,
    creds: Credentials | null,
    name: string,
  ): Promise<IssuedToken> {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm!);
    } catch {
      throw new InputError(`${name}: ${host.host} named a token realm that is not a URL`);
    }
    const realmName = `${realm.origin}${realm.pathname}`;
    if (creds && realm.protocol !== 'https:' && !host.settings?.insecure) {
      throw new InputError(`${name}: token realm ${realmName} is plain HTTP; refusing to send credentials there`);
    }
    this.log?.debug({ repository: name, realm: realmName, scope, anonymous: !creds }, 'fetching a registry token');
    let response: RegistryResponse;
    try {
      response = await sendRegistryRequest({
        ...tokenRequest(realm, challenge, scope, creds),
        timeoutMs: this.options.timeoutMs,
        certificateAuthority: this.certificateAuthority(host),
        ...this.bodyLimit('token'),
      });
    } catch (err) {
      throw requestFailure(err, `${name}: token service ${realmName}`, realm.host, this.options.timeoutMs);
    }
    const status = response.statusCode;
    if (status === 401 || status === 403) {
      if (creds) this.forgetCloudCredentials(host, challenge, creds);
      const whose = creds ? 'our credentials' : 'anonymous access';
      throw new UnauthorizedError(`${name}: token service ${realmName} refused ${whose} (HTTP ${status}): ${credentialHint(host, creds !== null)}`);
    }
    if (status !== 200) {
      throw statusError(status, `${name}: token service ${realmName} answered HTTP ${status}`, {
        retryAfterMs: retryAfterMs(header(response, 'retry-after'), this.options.now()),
      });
    }
    return parseTokenResponse(response.body.toString('utf8'), `${name}: token service ${realmName}`);
  }

  private async request(host: HostState, target: Target, authorization: string | undefined): Promise<RegistryResponse> {
    try {
      const response = await sendRegistryRequest({
        url: target.url,
        method: target.method,
        ...(target.accept ? { accept: target.accept } : {}),
        ...(authorization ? { authorization } : {}),
        timeoutMs: this.options.timeoutMs,
        certificateAuthority: this.certificateAuthority(host),
        ...this.bodyLimit(target.body),
      });
      this.noteRateLimit(response, target.name);
      return response;
    } catch (err) {
      throw requestFailure(err, target.name, target.ref.apiHost, this.options.timeoutMs);
    }
  }

  private classify(response: RegistryResponse, host: HostState, target: Target, auth: SentAuth | null): RegistryResponse {
    const status = response.statusCode;
    if (status >= 200 && status < 300) return response;
    const { name } = target;
    if (status === 401 || status === 403) {
      if (auth) throw refused(host, target, auth, status);
      throw new UnauthorizedError(`${name}: ${target.ref.apiHost} denied access (HTTP ${status}): ${credentialHint(host, false)}`);
    }
    if (status === 404) {
      const what = target.url.includes('/manifests/') ? `tag ${decodeURIComponent(target.url.split('/manifests/')[1]!)}` : 'repository';
      throw new NotFoundError(`${name}: ${what} not found (HTTP 404 from ${target.ref.apiHost})`);
    }
    if (classifyStatus(status) === 'transient') {
      const wait = retryAfterMs(header(response, 'retry-after'), this.options.now());
      const asked = wait === undefined ? '' : `; it asks us to wait ${Math.ceil(wait / 1000)} s`;
      const what = status === 429 ? 'rate limited by' : 'unavailable at';
      throw statusError(status, `${name}: ${what} ${target.ref.apiHost} (HTTP ${status}${asked})`, { retryAfterMs: wait });
    }
    throw statusError(status, `${name}: ${target.ref.apiHost} answered HTTP ${status}`);
  }

  private bodyLimit(kind: BodyKind): { maxBytes: number; what: string } {
    return { maxBytes: this.options.maxBodyBytes[kind], what: BODY_NAMES[kind] };
  }

  /** Docker Hub's `ratelimit-remaining: 76;w=21600`: logged, and a warning when little is left. */
  private noteRateLimit(response: RegistryResponse, name: string): void {
    const remaining = leadingNumber(header(response, 'ratelimit-remaining'));
    if (remaining === undefined) return;
    const limit = leadingNumber(header(response, 'ratelimit-limit'));
    const low = limit === undefined ? remaining <= 10 : remaining <= limit / 10;
    if (low) this.log?.warn({ repository: name, remaining, limit }, 'registry rate limit nearly used up');
    else this.log?.debug({ repository: name, remaining, limit }, 'registry rate limit');
  }

  /**
   * Credentials for the host, read again after credentialsTtlMs so rotated helper tokens are picked up;
   * a cloud provider's are minted for the challenge and kept until shortly before they expire.
   */
  private credentials(host: HostState, challenge: AuthChallenge): Promise<Credentials | null> {
    const auth = host.settings?.auth;
    if (auth && 'provider' in auth) return this.cloud.get(auth.provider, this.cloudRequest(host, challenge));
    const cached = host.credentials;
    if (cached && this.options.now() - cached.readAt < this.options.credentialsTtlMs) return cached.promise;
    const promise = credentialsFor(host.host, host.settings);
    host.credentials = { promise, readAt: this.options.now() };
    // A failed read is not remembered: the next request tries again.
    promise.catch(() => {
      if (host.credentials?.promise === promise) host.credentials = null;
    });
    return promise;
  }

  /** What a cloud provider needs from us: the host, its challenge, and a way to POST to the registry's side. */
  private cloudRequest(host: HostState, challenge: AuthChallenge): CloudCredentialRequest {
    return {
      host: host.host,
      challenge,
      env: process.env,
      postForm: async (url, form) => {
        const target = new URL(url);
        const where = `registries ${host.host}: ${target.origin}${target.pathname}`;
        // The form carries a cloud token: the same rule as credentials sent to a token realm.
        if (target.protocol !== 'https:' && !host.settings?.insecure) throw new InputError(`${where} is plain HTTP; refusing to send a cloud token there`);
        try {
          const response = await sendRegistryRequest({
            url,
            method: 'POST',
            form,
            timeoutMs: this.options.timeoutMs,
            certificateAuthority: this.certificateAuthority(host),
            ...this.bodyLimit('token'),
          });
          return { statusCode: response.statusCode, body: response.body.toString('utf8') };
        } catch (err) {
          throw requestFailure(err, where, target.host, this.options.timeoutMs);
        }
      },
    };
  }

  /** After a refusal: credentials minted by a cloud provider are minted anew next time (they may have been revoked). */
  private forgetCloudCredentials(host: HostState, challenge: AuthChallenge, creds: Credentials): void {
    const auth = host.settings?.auth;
    if (auth && 'provider' in auth) this.cloud.invalidate(auth.provider, this.cloudRequest(host, challenge), creds);
  }

  /** Node's CAs plus caFile: a private CA is added to, not swapped for, the public ones storage redirects need. */
  private certificateAuthority(host: HostState): string[] | undefined {
    if (host.certificateAuthority !== null) return host.certificateAuthority;
    const caFile = host.settings?.caFile;
    if (!caFile) return (host.certificateAuthority = undefined);
    try {
      host.certificateAuthority = [...tls.rootCertificates, readFileSync(caFile, 'utf8')];
    } catch (err) {
      throw new InputError(`registries ${host.host}: cannot read caFile ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return host.certificateAuthority;
  }
}

function refused(host: HostState, target: Target, auth: SentAuth, status: number): UnauthorizedError {
  if (auth.kind === 'basic') {
    return new UnauthorizedError(
      `${target.name}: ${target.ref.apiHost} refused our credentials (HTTP ${status}, realm "${auth.realm}"): ${credentialHint(host, true)}`,
    );
  }
  // Docker Hub answers an anonymous token for a repository that does not exist like one for a private one.
  const hint = auth.anonymous ? `: the repository may not exist, or may need credentials (${credentialHint(host, false)})` : `: ${credentialHint(host, true)}`;
  return new UnauthorizedError(`${target.name}: ${target.ref.apiHost} refused the token from ${auth.realm} (HTTP ${status})${hint}`);
}

/** Which config key holds the host's credentials, or how to add some: the fix a refusal names. */
function credentialHint(host: HostState, sent: boolean): string {
  return describeRegistryCredentials(host.host, host.settings, sent);
}

function header(response: RegistryResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function leadingNumber(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^\s*(\d+)/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/**
 * The token request the distribution token spec describes: GET with Basic credentials, or with a
 * refresh token (ACR's, Docker's identitytoken) the OAuth2 form POST with grant_type=refresh_token.
 */
function tokenRequest(realm: URL, challenge: AuthChallenge, scope: string, creds: Credentials | null): Pick<RegistryRequest, 'url' | 'method' | 'form' | 'authorization'> {
  if (creds?.identityToken) {
    const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: creds.identityToken, scope, client_id: 'tagpilot' };
    if (challenge.params.service) form.service = challenge.params.service;
    return { url: realm.href, method: 'POST', form };
  }
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', scope);
  return { url: url.href, method: 'GET', ...(creds ? { authorization: basicHeader(creds) } : {}) };
}

function basicHeader(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}
