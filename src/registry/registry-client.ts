// A client of the OCI distribution API: lists tags and resolves digests, with the auth, paging
// and manners registries expect. It only fetches; deciding what to do with tags is src/policy's job.
import { readFileSync } from 'node:fs';
import got, { type Response, RequestError } from 'got';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import type { RegistryConfig } from '../config/schema.js';
import { parseAuthChallenge } from './auth-challenge.js';
import { HostLimiter } from './host-limiter.js';
import { parseRepository, type RepositoryReference } from './image-reference.js';
import { credentialsFor, type Credentials } from './credentials.js';

/** Manifest types we accept for a digest: OCI index/manifest and Docker list/v2. */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export const DEFAULT_CONCURRENCY = 4;
const MAX_PAGES = 100;
const PAGE_SIZE = 1000;

/** Knobs for retries and timeouts; tests shrink them. */
export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After we wait for; a longer one fails the attempt as rate limited. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
};

/** Where the client logs; a subset of pino's logger. */
export interface RegistryLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

interface RequestSpec {
  ref: RepositoryReference;
  url: string;
  method: 'GET' | 'HEAD';
  accept?: string;
}

/** Lists tags and resolves digests on any OCI distribution registry. */
export class RegistryClient {
  private readonly settings: Map<string, RegistryConfig>;
  private readonly limiters = new Map<string, HostLimiter>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly retry: RetryOptions;

  constructor(
    registries: readonly RegistryConfig[] = [],
    private readonly log?: RegistryLogger,
    retry: Partial<RetryOptions> = {},
  ) {
    this.settings = new Map(registries.map((r) => [r.host, r]));
    this.retry = { ...DEFAULT_RETRY, ...retry };
  }

  /** Every tag of `repository`, following `Link` pages. */
  async listTags(repository: string): Promise<string[]> {
    const ref = parseRepository(repository);
    const tags: string[] = [];
    let url: string | null = `${this.baseUrl(ref)}/v2/${ref.path}/tags/list?n=${PAGE_SIZE}`;
    for (let page = 0; url !== null; page++) {
      if (page >= MAX_PAGES) {
        this.log?.warn({ repository, pages: MAX_PAGES }, 'tag list truncated at the page cap');
        break;
      }
      const response = await this.send({ ref, url, method: 'GET' });
      const body = parseTagList(response.body, repository);
      tags.push(...body);
      url = nextPage(response, url, repository);
    }
    return tags;
  }

  /** The digest of `repository:tag`, by HEAD (which Docker Hub does not count as a pull). */
  async getDigest(repository: string, tag: string): Promise<string> {
    const ref = parseRepository(repository);
    const url = `${this.baseUrl(ref)}/v2/${ref.path}/manifests/${encodeURIComponent(tag)}`;
    const response = await this.send({ ref, url, method: 'HEAD', accept: MANIFEST_ACCEPT });
    const digest = response.headers['docker-content-digest'];
    if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new InputError(`${repository}:${tag}: registry sent no Docker-Content-Digest`);
    }
    return digest;
  }

  private baseUrl(ref: RepositoryReference): string {
    return `${this.settings.get(ref.host)?.insecure ? 'http' : 'https'}://${ref.apiHost}`;
  }

  private limiter(host: string): HostLimiter {
    let limiter = this.limiters.get(host);
    if (!limiter) {
      limiter = new HostLimiter(this.settings.get(host)?.concurrency ?? DEFAULT_CONCURRENCY);
      this.limiters.set(host, limiter);
    }
    return limiter;
  }

  /** One request with auth, retries for transient failures, and classified errors. */
  private async send(spec: RequestSpec): Promise<Response<string>> {
    const name = `${spec.ref.host}/${spec.ref.path}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.limiter(spec.ref.host).run(() => this.sendAuthenticated(spec, name));
      } catch (err) {
        if (!(err instanceof TransientError) || attempt >= this.retry.attempts) throw err;
        const delay = this.backoff(attempt, err.retryAfterMs);
        this.log?.warn({ repository: name, attempt, delayMs: delay, err: err.message }, 'registry request failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.retry.maxRetryAfterMs);
    const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  private async sendAuthenticated(spec: RequestSpec, name: string): Promise<Response<string>> {
    const creds = credentialsFor(spec.ref.host, this.settings.get(spec.ref.host));
    const scope = `repository:${spec.ref.path}:pull`;
    const tokenKey = `${spec.ref.host}|${scope}`;
    const cached = this.tokens.get(tokenKey);
    let authorization = cached && cached.expiresAt > Date.now() ? `Bearer ${cached.token}` : undefined;

    let response = await this.raw(spec, authorization, name);
    if (response.statusCode === 401) {
      this.tokens.delete(tokenKey);
      const challenge = parseAuthChallenge(header(response, 'www-authenticate'));
      if (challenge?.scheme === 'bearer' && challenge.params.realm) {
        const token = await this.fetchToken(challenge.params, scope, creds, name);
        this.tokens.set(tokenKey, token);
        authorization = `Bearer ${token.token}`;
      } else if (challenge?.scheme === 'basic' && creds) {
        authorization = basicHeader(creds);
      } else {
        throw new UnauthorizedError(`${name}: registry requires credentials${creds ? '' : ' and none are configured'}`);
      }
      response = await this.raw(spec, authorization, name);
    }
    return this.classify(response, name, spec);
  }

  private classify(response: Response<string>, name: string, spec: RequestSpec): Response<string> {
    const status = response.statusCode;
    this.noteRateLimit(response, name);
    if (status >= 200 && status < 300) return response;
    if (status === 401 || status === 403) {
      throw new UnauthorizedError(`${name}: registry refused our credentials (HTTP ${status})`);
    }
    if (status === 404) {
      const what = spec.url.includes('/manifests/') ? 'tag' : 'repository';
      throw new NotFoundError(`${name}: ${what} not found (HTTP 404 from ${spec.ref.apiHost})`);
    }
    if (status === 429 || status >= 500 || status === 408) {
      throw new TransientError(`${name}: registry answered HTTP ${status}`, {
        retryAfterMs: retryAfterMs(header(response, 'retry-after')),
        code: status === 429 ? 'RATE_LIMITED' : 'TRANSIENT',
      });
    }
    throw new InputError(`${name}: registry answered HTTP ${status}`);
  }

  private noteRateLimit(response: Response<string>, name: string): void {
    const remaining = header(response, 'ratelimit-remaining');
    if (remaining) this.log?.debug({ repository: name, remaining }, 'registry rate limit');
  }

  /** GET the realm with service and scope (Basic credentials when we have them) for a bearer token. */
  private async fetchToken(params: Record<string, string>, scope: string, creds: Credentials | null, name: string): Promise<CachedToken> {
    const realm = new URL(params.realm!);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? scope);
    let response: Response<string>;
    try {
      response = await got(realm, {
        headers: creds ? { authorization: basicHeader(creds) } : {},
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: this.retry.timeoutMs },
        https: this.tlsOptions(realm.host),
      });
    } catch (err) {
      throw transientFromNetwork(err, `${name}: token request to ${realm.origin}`);
    }
    if (response.statusCode === 401 || response.statusCode === 403) {
      throw new UnauthorizedError(`${name}: token service ${realm.origin}${realm.pathname} refused our credentials (HTTP ${response.statusCode})`);
    }
    if (response.statusCode === 429 || response.statusCode >= 500) {
      throw new TransientError(`${name}: token service ${realm.origin} answered HTTP ${response.statusCode}`, {
        retryAfterMs: retryAfterMs(header(response, 'retry-after')),
      });
    }
    if (response.statusCode !== 200) {
      throw new InputError(`${name}: token service ${realm.origin} answered HTTP ${response.statusCode}`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch {
      throw new InputError(`${name}: token service ${realm.origin} sent a body that is not JSON`);
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : null;
    if (!token) throw new InputError(`${name}: token service ${realm.origin} sent no token`);
    // The spec's default lifetime is 60 s; renew a little early so a token never expires mid-request.
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return { token, expiresAt: Date.now() + Math.max(1, lifetime - 10) * 1000 };
  }

  private async raw(spec: RequestSpec, authorization: string | undefined, name: string): Promise<Response<string>> {
    const headers: Record<string, string> = {};
    if (authorization) headers.authorization = authorization;
    if (spec.accept) headers.accept = spec.accept;
    try {
      return await got(spec.url, {
        method: spec.method,
        headers,
        throwHttpErrors: false,
        followRedirect: true,
        retry: { limit: 0 },
        timeout: { request: this.retry.timeoutMs },
        https: this.tlsOptions(spec.ref.host),
      });
    } catch (err) {
      throw transientFromNetwork(err, `${name}: request to ${spec.ref.apiHost}`);
    }
  }

  private tlsOptions(host: string): { certificateAuthority?: string } {
    const caFile = this.settings.get(host)?.caFile;
    if (!caFile) return {};
    try {
      return { certificateAuthority: readFileSync(caFile, 'utf8') };
    } catch (err) {
      throw new InputError(`registries ${host}: cannot read caFile ${caFile}: ${(err as Error).message}`);
    }
  }
}

function header(response: Response<string>, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function basicHeader(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

function transientFromNetwork(err: unknown, what: string): Error {
  if (err instanceof RequestError) {
    return new TransientError(`${what} failed: ${err.code ?? err.message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseTagList(body: string, repository: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InputError(`${repository}: tags/list answer is not JSON`);
  }
  const tags = (parsed as { tags?: unknown }).tags;
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw new InputError(`${repository}: tags/list answer has no list of tags`);
  }
  return tags as string[];
}

/** The `rel="next"` page, resolved against the current URL; another origin is refused. */
function nextPage(response: Response<string>, current: string, repository: string): string | null {
  const link = header(response, 'link');
  if (!link) return null;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link);
  if (!match) return null;
  const next = new URL(match[1]!, current);
  if (next.origin !== new URL(current).origin) {
    throw new InputError(`${repository}: registry sent a next page on another origin (${next.origin}); refused`);
  }
  return next.href;
}
