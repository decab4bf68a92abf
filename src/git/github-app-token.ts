// GitHub App installation tokens (SPEC §1 git.auth.githubApp): @octokit/auth-app signs the App's JWT
// with its private key and POSTs /app/installations/{id}/access_tokens. A token lasts an hour; each
// run takes the cached one, and one close to its end is replaced first, so no push holds a lapsed token.
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
import { readFile } from 'node:fs/promises';
import type { GitConfig } from '../config/schema.js';
import { InputError, TransientError, UnauthorizedError, errorMessage } from '../errors.js';
import { classifyStatus } from '../failure-kind.js';
import { githubPullRequests } from './github-pull-requests.js';

/** `git.auth.githubApp` as the config gives it. */
export type GithubAppAuth = Extract<NonNullable<GitConfig['auth']>, { githubApp: unknown }>['githubApp'];

// Renew this long before expiry (or at half-life for short-lived tokens), so a run never starts on a token about to lapse.
const RENEW_EARLY_MS = 5 * 60_000;
const tokens = new Map<string, { token: string; renewAt: number }>();
const pending = new Map<string, Promise<string>>();

/** An installation token for the App, against the GitHub API that serves `gitUrl` (or TAGPILOT_GITHUB_API_URL). */
export async function githubAppToken(app: GithubAppAuth, gitUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const apiUrl = env[githubPullRequests.apiUrlEnv] || githubPullRequests.defaultApiUrl(new URL(gitUrl));
  const key = `${apiUrl}|${app.appId}|${app.installationId}`;
  const cached = tokens.get(key);
  if (cached && cached.renewAt > Date.now()) return cached.token;
  let minting = pending.get(key);
  if (!minting) {
    minting = mint(app, apiUrl)
      .then(({ token, expiresAt }) => {
        const lifetimeMs = expiresAt - Date.now();
        tokens.set(key, { token, renewAt: expiresAt - Math.min(RENEW_EARLY_MS, lifetimeMs / 2) });
        return token;
      })
      .finally(() => pending.delete(key));
    pending.set(key, minting);
  }
  return minting;
}

async function mint(app: GithubAppAuth, apiUrl: string): Promise<{ token: string; expiresAt: number }> {
  const what = `githubApp ${app.appId} installation ${app.installationId}`;
  let privateKey: string;
  try {
    privateKey = await readFile(app.privateKeyFile, 'utf8');
  } catch (err) {
    throw new InputError(`${what}: cannot read privateKeyFile ${app.privateKeyFile}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  // Loaded only by automations that use an App: start-up stays fast.
  const [{ createAppAuth }, { request }] = await Promise.all([import('@octokit/auth-app'), import('@octokit/request')]);
  const auth = createAppAuth({
    // A numeric App ID goes into the JWT as a number, the way GitHub lists it; a client ID (Iv1.…) as it is.
    appId: /^\d+$/.test(app.appId) ? Number(app.appId) : app.appId,
    privateKey,
    installationId: app.installationId,
    request: request.defaults({ baseUrl: apiUrl.replace(/\/+$/, ''), headers: { 'user-agent': 'tagpilot' } }),
  });
  try {
    // refresh: our cache decides when to mint; auth-app's own would hand out a token to its last minute.
    const result = await auth({ type: 'installation', refresh: true });
    return { token: result.token, expiresAt: Date.parse(result.expiresAt) };
  } catch (err) {
    throw appFailure(err, what, apiUrl);
  }
}

/** One classification for the token request (STYLE rule 10): refused is permanent, down is transient. */
function appFailure(err: unknown, what: string, apiUrl: string): Error {
  const where = `${what}: GitHub API at ${new URL(apiUrl).origin}`;
  const status = (err as { status?: unknown }).status;
  const reason = errorMessage(err).split('\n', 1)[0]!.slice(0, 300);
  if (status === 401 || status === 403 || status === 404) {
    return new UnauthorizedError(`${where} refused the App's token request (HTTP ${status}: ${reason}); check appId, installationId and privateKeyFile`, { cause: err });
  }
  if (typeof status === 'number' && classifyStatus(status) === 'transient') return new TransientError(`${where} answered HTTP ${status}: ${reason}`, { cause: err });
  if (typeof status === 'number') return new InputError(`${where} answered HTTP ${status}: ${reason}`, { cause: err });
  // No status: the key could not sign (not an RSA private key), or nothing answered.
  if (/private key|PKCS|asn1|DECODER|PEM/i.test(reason)) return new InputError(`${what}: privateKeyFile is not the App's RSA private key (${reason})`, { cause: err });
  return new TransientError(`${where}: ${reason}`, { cause: err });
}
