// Azure Container Registry: an Entra ID token from DefaultAzureCredential (environment, AKS workload
// identity, managed identity, the az CLI) is exchanged at the registry's /oauth2/exchange for an ACR
// refresh token, which then buys bearer tokens at /oauth2/token (grant_type=refresh_token).
// https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md
import type { TokenCredential } from '@azure/identity';
import * as z from '../../zod.js';
import { InputError, TransientError, UnauthorizedError } from '../../errors.js';
import { classifyStatus } from '../../failure-kind.js';
import type { CloudCredentialProvider } from './cloud-provider.js';

/** The audience of ACR's data plane; ACR also takes ARM tokens, but those can be switched off per registry. */
export const ACR_SCOPE = 'https://containerregistry.azure.net/.default';
/** The user name ACR expects beside a refresh token (what `az acr login` writes into Docker's config). */
const REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

const ExchangeResponse = z.object({ refresh_token: z.string().check(z.minLength(1)) });
// One credential for the process: it caches and refreshes the Entra ID token itself.
let credential: TokenCredential | undefined;

export const azureAcr: CloudCredentialProvider = {
  sources:
    'DefaultAzureCredential: environment (AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or a certificate), ' +
    'workload identity (AZURE_FEDERATED_TOKEN_FILE), managed identity, the az / azd CLI and Azure PowerShell',
  async obtain({ host, challenge, postForm, env }) {
    const realm = challenge.params.realm;
    if (challenge.scheme !== 'bearer' || !realm) {
      throw new InputError(`registries ${host}: azure credentials: the registry did not send an ACR token challenge (Bearer realm); is it an ACR?`);
    }
    const { DefaultAzureCredential } = await import('@azure/identity');
    credential ??= new DefaultAzureCredential({
      // No retries inside the SDK: the queue's job retry is the one retry layer.
      retryOptions: { maxRetries: 0 },
      // A chosen authority (Azure Stack, a private cloud) is not listed by login.microsoftonline.com's
      // instance discovery, which would refuse it; whoever set AZURE_AUTHORITY_HOST vouches for it.
      disableInstanceDiscovery: Boolean(env.AZURE_AUTHORITY_HOST),
    });
    const entra = await credential.getToken(ACR_SCOPE);
    if (!entra) throw new InputError(`registries ${host}: azure credentials: no identity found; tried ${azureAcr.sources}`, { code: 'CLOUD_CREDENTIALS_UNAVAILABLE' });
    const exchange = new URL('/oauth2/exchange', realm).href;
    const form: Record<string, string> = {
      grant_type: 'access_token',
      service: challenge.params.service ?? host,
      access_token: entra.token,
    };
    if (env.AZURE_TENANT_ID) form.tenant = env.AZURE_TENANT_ID;
    const { statusCode, body } = await postForm(exchange, form);
    const where = `registries ${host}: azure credentials: ACR token exchange ${exchange}`;
    if (statusCode === 401 || statusCode === 403) throw new UnauthorizedError(`${where} refused the Entra ID token (HTTP ${statusCode})`);
    if (classifyStatus(statusCode) === 'transient') throw new TransientError(`${where} answered HTTP ${statusCode}`);
    if (statusCode !== 200) throw new InputError(`${where} answered HTTP ${statusCode}`);
    let parsed;
    try {
      parsed = ExchangeResponse.safeParse(JSON.parse(body));
    } catch {
      parsed = undefined;
    }
    // Never quote the body: it holds the refresh token.
    if (!parsed?.success) throw new InputError(`${where} sent no refresh token`);
    const refreshToken = parsed.data.refresh_token;
    return {
      credentials: { username: REFRESH_TOKEN_USER, password: refreshToken, identityToken: refreshToken },
      expiresAt: Math.min(entra.expiresOnTimestamp, jwtExpiry(refreshToken) ?? Infinity),
    };
  },
  isUnavailable: (err) => {
    const name = (err as { name?: unknown }).name;
    return name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError';
  },
  statusOf: (err) => {
    const status = (err as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' ? status : undefined;
  },
};

/** The `exp` of a JWT in ms, read without verifying (only to renew in time); undefined when it is not one. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
