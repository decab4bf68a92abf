// A stand-in for the part of GitHub's REST API a GitHub App uses (the hosted one is out of reach):
// POST /app/installations/{id}/access_tokens checks the App's JWT against its public key the way
// GitHub does (RS256, iss = the App ID, at most 10 minutes long, not expired) and issues installation
// tokens that expire; the pulls endpoints accept only such a token while it lasts.
import { randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubAppApiOptions {
  appId: number;
  installationId: number;
  publicKey: KeyObject;
  /** How long an installation token lasts (GitHub: one hour). */
  tokenTtlSeconds: number;
  /** owner/repo whose pulls the installation may open. */
  repository: string;
}

/** One request to the token endpoint. */
export interface TokenMint {
  status: number;
  refusal?: string;
  token?: string;
}

export interface GithubAppApi {
  url: string;
  mints: TokenMint[];
  /** Whether `token` is an installation token issued here that has not expired. */
  isValid(token: string): boolean;
  /** Pull requests opened, with the token that opened them. */
  pulls: Array<{ title: string; head: string; base: string; token: string }>;
  stop(): Promise<void>;
}

export async function startGithubAppApi(options: GithubAppApiOptions): Promise<GithubAppApi> {
  const issued = new Map<string, number>();
  const mints: TokenMint[] = [];
  const pulls: GithubAppApi['pulls'] = [];
  const isValid = (token: string) => (issued.get(token) ?? 0) > Date.now();

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const reply = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const bearer = /^(?:bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const mint = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
      if (req.method === 'POST' && mint) {
        const refusal = jwtProblem(bearer, options);
        if (refusal) {
          mints.push({ status: 401, refusal });
          return reply(401, { message: `A JSON web token could not be decoded: ${refusal}` });
        }
        if (Number(mint[1]) !== options.installationId) {
          mints.push({ status: 404, refusal: `installation ${mint[1]}` });
          return reply(404, { message: 'Not Found' });
        }
        const token = `ghs_${randomBytes(18).toString('hex')}`;
        const expiresAt = Date.now() + options.tokenTtlSeconds * 1000;
        issued.set(token, expiresAt);
        mints.push({ status: 201, token });
        return reply(201, { token, expires_at: new Date(expiresAt).toISOString(), permissions: { contents: 'write', pull_requests: 'write' } });
      }
      const pullsPath = `/repos/${options.repository}/pulls`;
      if (url.pathname === pullsPath) {
        if (!isValid(bearer)) return reply(401, { message: 'Bad credentials' });
        if (req.method === 'GET') return reply(200, pulls.map((p, i) => ({ number: i + 1, title: p.title, body: '', html_url: `https://github.example/pull/${i + 1}` })).filter((_, i) => pulls[i]!.head === url.searchParams.get('head')?.split(':')[1]));
        if (req.method === 'POST') {
          const { title, head, base } = JSON.parse(body) as { title: string; head: string; base: string };
          pulls.push({ title, head, base, token: bearer });
          return reply(201, { number: pulls.length, title, body: '', html_url: `https://github.example/pull/${pulls.length}` });
        }
      }
      reply(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mints,
    isValid,
    pulls,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What GitHub would refuse in the App's JWT, or undefined when it is acceptable. */
function jwtProblem(jwt: string, options: GithubAppApiOptions): string | undefined {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return 'not a JWT';
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
  if (alg !== 'RS256') return `alg ${alg}`;
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), options.publicKey, Buffer.from(signature, 'base64url'))) return 'signature does not verify with the App public key';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; iat?: number; exp?: number };
  const now = Date.now() / 1000;
  if (String(claims.iss) !== String(options.appId)) return `iss ${String(claims.iss)}`;
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return 'no iat/exp';
  if (claims.iat > now + 60) return "'iat' is in the future";
  if (claims.exp <= now) return "'exp' is in the past";
  if (claims.exp - claims.iat > 600) return "'exp' is too far in the future (over 10 minutes)";
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}
