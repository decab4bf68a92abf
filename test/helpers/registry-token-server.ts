// The Docker token-auth server that a registry in `auth.token` mode sends clients to (the "realm").
import { X509Certificate, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

export interface TokenServerOptions {
  username: string;
  password: string;
  /** Anonymous requests get a token with pull access only; without this they get 401. */
  anonymousPull?: boolean;
  /** Must equal the registry's `auth.token.service`; becomes the token's `aud`. */
  service: string;
  /** Must equal the registry's `auth.token.issuer`; becomes the token's `iss`. */
  issuer: string;
  /** From makeTokenSigningCert. */
  keyPath: string;
  certPath: string;
  /** Lifetime of issued tokens (default 300 s); short values let tests exercise token refresh. */
  ttlSeconds?: number;
  /** Accepted in the OAuth2 form POST with grant_type=refresh_token (ACR's flow after its exchange). */
  refreshToken?: string;
  /** Answers POST /oauth2/exchange on this server's origin, where ACR serves its token exchange. */
  exchange?: (form: URLSearchParams) => { status: number; body: unknown };
}

/** One request to the realm, kept so tests can assert how often and for what a client asked. */
export interface TokenRequest {
  method: string;
  /** The Basic user, or undefined for an anonymous request. */
  username: string | undefined;
  scopes: string[];
  /** The HTTP status we answered. */
  status: number;
  /** The OAuth2 grant_type of a form POST. */
  grantType?: string;
}

export interface TokenServer {
  /** The URL to put in `auth.token.realm`, e.g. http://127.0.0.1:PORT/token */
  realm: string;
  requests: TokenRequest[];
  /** Signs a token directly, for the helper's own pushes: no HTTP round trip needed. */
  issueToken(subject: string, scopes: readonly string[]): string;
  stop(): Promise<void>;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** A P-256 key and a self-signed certificate for it: the registry's `rootcertbundle`. */
export async function makeTokenSigningCert(dir: string): Promise<{ keyPath: string; certPath: string }> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  await runCommand('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=tagpilot-test-token-issuer',
  ]);
  return { keyPath, certPath };
}

/**
 * Parses `repository:acme/app:pull,push` (names may contain ':' for host:port prefixes, so the type
 * is the first field and the actions the last).
 */
export function parseScope(scope: string): AccessEntry | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter(Boolean),
  };
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key: KeyObject = createPrivateKey(await readFile(options.keyPath));
  const cert = new X509Certificate(await readFile(options.certPath));
  const ttl = options.ttlSeconds ?? 300;
  const requests: TokenRequest[] = [];

  // distribution 2.8 verifies a token's key from the `x5c` chain against `rootcertbundle` (a `kid` that
  // is the libtrust fingerprint of a bundled key also works there, but x5c is what real issuers send).
  const issueToken = (subject: string, scopes: readonly string[], allowed?: (entry: AccessEntry) => string[]): string => {
    const access = scopes
      .map(parseScope)
      .filter((entry): entry is AccessEntry => entry !== undefined)
      .map((entry) => ({ ...entry, actions: allowed ? allowed(entry) : entry.actions }));
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [cert.raw.toString('base64')] };
    const claims = {
      iss: options.issuer,
      sub: subject,
      aud: options.service,
      // A little backdating absorbs clock skew checks in the registry.
      nbf: now - 10,
      iat: now,
      exp: now + ttl,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS ES256 wants the raw r||s signature, not node's default DER encoding.
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${b64url(signature)}`;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let params = url.searchParams;
    if (req.method === 'POST' && url.pathname === '/oauth2/exchange' && options.exchange) {
      const answer = options.exchange(new URLSearchParams(await readBody(req)));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      return;
    }
    if (req.method === 'POST') {
      // The OAuth2 form some clients (containerd) POST: grant_type=password&username=..&password=..
      params = new URLSearchParams(await readBody(req));
    }
    const scopes = params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    let username: string | undefined;
    let password: string | undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    } else if (params.get('grant_type') === 'password') {
      username = params.get('username') ?? undefined;
      password = params.get('password') ?? undefined;
    }
    const grantType = req.method === 'POST' ? (params.get('grant_type') ?? undefined) : undefined;
    const reply = (status: number, body: unknown): void => {
      requests.push({ method: req.method ?? 'GET', username, scopes, status, grantType });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 401) headers['www-authenticate'] = 'Basic realm="tagpilot-test-token"';
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') return reply(404, { error: 'not found' });
    if (params.get('service') !== null && params.get('service') !== options.service) {
      return reply(400, { error: `unknown service ${params.get('service')}` });
    }
    let token: string;
    if (grantType === 'refresh_token') {
      if (!options.refreshToken || params.get('refresh_token') !== options.refreshToken) {
        return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad refresh token' }] });
      }
      token = issueToken('refresh-token-holder', scopes);
    } else if (username !== undefined) {
      if (username !== options.username || password !== options.password) {
        return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
      }
      token = issueToken(username, scopes);
    } else if (options.anonymousPull) {
      token = issueToken('', scopes, (entry) => entry.actions.filter((a) => a === 'pull'));
    } else {
      return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    }
    reply(200, { token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  // Like the registry daemon, a forgotten stop() must not keep the test process alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    issueToken: (subject, scopes) => issueToken(subject, scopes),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
