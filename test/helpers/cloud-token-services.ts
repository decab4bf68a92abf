// Stand-ins for the clouds' token services (hosted APIs, out of reach here), reached through each
// SDK's own endpoint override. Each checks what the real service checks where that is cheap: the
// SigV4 signature (ECR), the Metadata-Flavor header (GCE metadata server), the federated client
// assertion (Entra ID), and answers in the service's documented shape.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

/** One request a stand-in answered, for assertions. */
export interface CloudCall {
  path: string;
  status: number;
  /** What the stand-in found wrong, when it refused. */
  refusal?: string;
}

interface StandIn {
  calls: CloudCall[];
  /** Answer the next `count` token requests with `status` (a token service that is down). */
  failNext(count: number, status: number): void;
  stop(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, url: URL) => { status: number; headers?: Record<string, string>; body: unknown; refusal?: string };

function serve(server: Server, handler: Handler, calls: CloudCall[], failures: { count: number; status: number }, isTokenRequest: (url: URL) => boolean): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let answer: ReturnType<Handler>;
      if (failures.count > 0 && isTokenRequest(url)) {
        failures.count--;
        answer = { status: failures.status, body: { message: 'injected failure' } };
      } else {
        answer = handler(req, body, url);
      }
      calls.push({ path: url.pathname, status: answer.status, ...(answer.refusal ? { refusal: answer.refusal } : {}) });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
    })();
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  return (server.address() as AddressInfo).port;
}

function stopper(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

export interface EcrStandInOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The registry password GetAuthorizationToken hands out (as base64 "AWS:<password>"). */
  password: string;
  expiresInSeconds: number;
}

/** ECR's GetAuthorizationToken (AWS JSON 1.1), for AWS_ENDPOINT_URL_ECR. */
export async function startEcrStandIn(options: EcrStandInOptions): Promise<StandIn & { url: string }> {
  const calls: CloudCall[] = [];
  const failures = { count: 0, status: 500 };
  const server = createHttpServer();
  serve(server, (req, body, url) => {
    const refuse = (refusal: string) => ({ status: 403, body: { __type: 'InvalidSignatureException', message: refusal }, refusal });
    if (req.method !== 'POST' || url.pathname !== '/') return { status: 404, body: {}, refusal: `${req.method} ${url.pathname}` };
    if (req.headers['x-amz-target'] !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') return refuse(`target ${String(req.headers['x-amz-target'])}`);
    const problem = sigV4Problem(req, url, body, options);
    if (problem) return refuse(problem);
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${options.password}`).toString('base64'),
            expiresAt: Date.now() / 1000 + options.expiresInSeconds,
            proxyEndpoint: 'https://123456789012.dkr.ecr.example.invalid',
          },
        ],
      },
    };
  }, calls, failures, () => true);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, calls, failNext: (count, status) => Object.assign(failures, { count, status }), stop: stopper(server) };
}

/** What is wrong with the request's SigV4 signature, or undefined when it verifies (AWS's documented algorithm). */
function sigV4Problem(req: IncomingMessage, url: URL, body: string, options: EcrStandInOptions): string | undefined {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    String(req.headers.authorization ?? ''),
  );
  if (!match) return 'no SigV4 Authorization header';
  const [, keyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  if (keyId !== options.accessKeyId) return `unknown access key ${keyId}`;
  if (region !== options.region || service !== 'ecr') return `credential scope ${region}/${service}, expected ${options.region}/ecr`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date!)) return 'x-amz-date does not match the credential scope';
  const headerNames = signedHeaders!.split(';');
  if (!headerNames.includes('host') || !headerNames.includes('x-amz-target')) return `signed headers ${signedHeaders} leave out host or x-amz-target`;
  const canonicalHeaders = headerNames.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const hash = (data: string) => createHash('sha256').update(data).digest('hex');
  const canonicalRequest = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, hash(body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonicalRequest)].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, date!), region!), service!), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex') === signature ? undefined : 'signature does not verify';
}

/** The GCE / GKE metadata server's token endpoint, for GCE_METADATA_HOST. */
export async function startMetadataStandIn(options: { accessToken: string; expiresInSeconds: number }): Promise<StandIn & { host: string }> {
  const calls: CloudCall[] = [];
  const failures = { count: 0, status: 500 };
  const server = createHttpServer();
  const tokenPath = '/computeMetadata/v1/instance/service-accounts/default/token';
  serve(server, (req, _body, url) => {
    // The real server refuses requests without it (a guard against SSRF) and always names itself.
    const headers = { 'metadata-flavor': 'Google' };
    if (req.headers['metadata-flavor'] !== 'Google') return { status: 403, headers, body: {}, refusal: 'no Metadata-Flavor: Google' };
    if (url.pathname === tokenPath) return { status: 200, headers, body: { access_token: options.accessToken, expires_in: options.expiresInSeconds, token_type: 'Bearer' } };
    if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') return { status: 200, headers, body: {} };
    return { status: 404, headers, body: {} };
  }, calls, failures, (url) => url.pathname === tokenPath);
  const port = await listen(server);
  return { host: `127.0.0.1:${port}`, calls, failNext: (count, status) => Object.assign(failures, { count, status }), stop: stopper(server) };
}

export interface EntraStandInOptions {
  tenantId: string;
  clientId: string;
  /** What AZURE_FEDERATED_TOKEN_FILE holds (the service account token AKS projects). */
  federatedToken: string;
  /** The Entra ID access token handed out. */
  accessToken: string;
  /** The scope a token must be asked for. */
  scope: string;
  /** A folder for the TLS certificate: MSAL talks to an authority over HTTPS only. */
  dir: string;
}

/** Entra ID's v2.0 token endpoint with OpenID discovery, over HTTPS, for AZURE_AUTHORITY_HOST. */
export async function startEntraStandIn(options: EntraStandInOptions): Promise<StandIn & { authorityHost: string; caFile: string }> {
  const keyFile = join(options.dir, 'entra-key.pem');
  const certFile = join(options.dir, 'entra-cert.pem');
  await runCommand('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  const calls: CloudCall[] = [];
  const failures = { count: 0, status: 500 };
  const server = createHttpsServer({ key: await readFile(keyFile), cert: await readFile(certFile) });
  const tenant = `/${options.tenantId}`;
  let authority = '';
  serve(server, (req, body, url) => {
    if (req.method === 'GET' && url.pathname === `${tenant}/v2.0/.well-known/openid-configuration`) {
      return {
        status: 200,
        body: {
          issuer: `${authority}${tenant}/v2.0`,
          token_endpoint: `${authority}${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${authority}${tenant}/oauth2/v2.0/authorize`,
          jwks_uri: `${authority}${tenant}/discovery/v2.0/keys`,
          end_session_endpoint: `${authority}${tenant}/oauth2/v2.0/logout`,
        },
      };
    }
    if (req.method !== 'POST' || url.pathname !== `${tenant}/oauth2/v2.0/token`) return { status: 404, body: { error: 'not_found' }, refusal: `${req.method} ${url.pathname}` };
    const form = new URLSearchParams(body);
    const refuse = (refusal: string) => ({ status: 401, body: { error: 'invalid_client', error_description: refusal }, refusal });
    if (form.get('grant_type') !== 'client_credentials') return refuse(`grant_type ${form.get('grant_type')}`);
    if (form.get('client_id') !== options.clientId) return refuse(`client_id ${form.get('client_id')}`);
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('no jwt-bearer client assertion');
    if (form.get('client_assertion') !== options.federatedToken) return refuse('client assertion is not the federated token');
    if (form.get('scope') !== options.scope) return refuse(`scope ${form.get('scope')}`);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: options.accessToken } };
  }, calls, failures, (url) => url.pathname.endsWith('/oauth2/v2.0/token'));
  const port = await listen(server);
  authority = `https://127.0.0.1:${port}`;
  return { authorityHost: authority, caFile: certFile, calls, failNext: (count, status) => Object.assign(failures, { count, status }), stop: stopper(server) };
}

/** A random secret for a test, so no test can pass on a constant baked into code. */
export function testSecret(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}
