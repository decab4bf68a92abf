// The two requests of git's smart HTTP protocol (v0/v1, stateless RPC): the ref advertisement and
// one POST to upload-pack (fetch) or receive-pack (push). https://git-scm.com/docs/http-protocol
// Credentials go in a Basic header on every request, so no request pays a 401 round trip first.
import { NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import { PktLineReader } from './pkt-line.js';
import { redactUrl } from './redact-url.js';

export type GitService = 'git-upload-pack' | 'git-receive-pack';

/** What the server said it has: ref name → object id, and what it can do. */
export interface RefAdvertisement {
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/** Basic credentials for the remote (a token goes in `password`). */
export interface GitCredentials {
  username: string;
  password: string;
}

const ZERO_OID = '0'.repeat(40);

/** One remote repository spoken to over smart HTTP. */
export class SmartHttpClient {
  private readonly endpoint: string;
  private readonly authorization: string | undefined;
  /** The URL as it may appear in messages. */
  readonly shownUrl: string;

  constructor(
    url: string,
    credentials?: GitCredentials,
    // Generous: a first clone of a large repository over a slow link is one request.
    private readonly timeoutMs = 120_000,
  ) {
    const parsed = new URL(url);
    // fetch() refuses URLs with credentials in them; those become the Basic header instead.
    const fromUrl = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
    parsed.username = '';
    parsed.password = '';
    this.endpoint = parsed.href.replace(/\/+$/, '');
    this.shownUrl = redactUrl(url);
    const auth = credentials ?? fromUrl;
    this.authorization = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
  }

  /** Headers that authenticate a request, for callers that talk to the same remote through another client. */
  get authHeaders(): Record<string, string> {
    return this.authorization ? { authorization: this.authorization } : {};
  }

  /** GET info/refs for `service`. */
  async advertisement(service: GitService): Promise<RefAdvertisement> {
    const body = await this.request(`${this.endpoint}/info/refs?service=${service}`, {
      expectType: `application/x-${service}-advertisement`,
    });
    const reader = new PktLineReader(body);
    if (reader.nextText() !== `# service=${service}`) throw this.protocolError('the ref advertisement does not start with "# service="');
    reader.next();
    const refs = new Map<string, string>();
    let capabilities = new Set<string>();
    let first = true;
    while (!reader.done) {
      const line = reader.nextText();
      if (line === null) break;
      let refPart = line;
      if (first) {
        const nul = line.indexOf('\0');
        if (nul >= 0) {
          capabilities = new Set(line.slice(nul + 1).split(' ').filter(Boolean));
          refPart = line.slice(0, nul);
        }
        first = false;
      }
      const [oid, name] = refPart.split(' ');
      // An empty repository advertises "0000…0000 capabilities^{}" only to carry the capabilities.
      if (oid && name && oid !== ZERO_OID && !name.endsWith('^{}')) refs.set(name, oid);
    }
    return { refs, capabilities };
  }

  /** POSTs one request to `service` and returns the whole response body. */
  async rpc(service: GitService, body: Buffer): Promise<Buffer> {
    return this.request(`${this.endpoint}/${service}`, {
      method: 'POST',
      body,
      headers: { 'content-type': `application/x-${service}-request`, accept: `application/x-${service}-result` },
      expectType: `application/x-${service}-result`,
    });
  }

  private async request(
    url: string,
    options: { method?: string; body?: Buffer; headers?: Record<string, string>; expectType: string },
  ): Promise<Buffer> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method ?? 'GET',
        body: options.body,
        headers: { 'user-agent': 'git/tagpilot', ...this.authHeaders, ...options.headers },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      const what = cause?.code ?? (err as Error).name ?? 'network error';
      throw new TransientError(`${this.shownUrl}: ${what === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : what}`, { cause: err });
    }
    const status = response.status;
    if (status === 401 || status === 403) {
      await response.body?.cancel();
      throw new UnauthorizedError(`${this.shownUrl}: the git server refused our credentials (HTTP ${status})`);
    }
    if (status === 404) {
      await response.body?.cancel();
      throw new NotFoundError(`${this.shownUrl}: repository not found (HTTP 404)`);
    }
    if (status !== 200) {
      const text = (await response.text().catch(() => '')).slice(0, 200).trim();
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new TransientError(`${this.shownUrl}: git server answered HTTP ${status}${text ? `: ${text}` : ''}`, {
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      });
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(options.expectType)) {
      await response.body?.cancel();
      throw this.protocolError(`expected ${options.expectType}, got "${type}" (not a smart HTTP git server?)`);
    }
    try {
      return Buffer.from(await response.arrayBuffer());
    } catch (err) {
      throw new TransientError(`${this.shownUrl}: the response broke off`, { cause: err });
    }
  }

  /** A server that does not speak the protocol as expected: retrying will not help, but it is not our input either. */
  protocolError(message: string): Error {
    return new Error(`${this.shownUrl}: ${message}`);
  }
}
