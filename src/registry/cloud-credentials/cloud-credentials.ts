// Registry credentials minted by a cloud's workload identity, cached per provider, host and realm and
// minted again before they expire.
import type { CloudProviderId } from '../../config/schema.js';
import type { Credentials } from '../credentials.js';
import { TokenCache } from '../token-cache.js';
import { cloudFailure } from './cloud-failure.js';
import type { CloudCredentialRequest } from './cloud-provider.js';
import { CLOUD_CREDENTIAL_PROVIDERS } from './cloud-providers.js';

// Cloud tokens live 1 to 12 hours: renew well before the end so a slow scan never holds a lapsed one.
const RENEW_EARLY_MS = 5 * 60_000;

/** Mints and caches the credentials of every registry that names a cloud provider. */
export class CloudCredentials {
  private readonly cache: TokenCache<Credentials>;

  constructor(private readonly now: () => number = Date.now) {
    this.cache = new TokenCache<Credentials>(now, RENEW_EARLY_MS);
  }

  /** Fresh credentials for `request.host` from `providerId`; failures arrive classified. */
  get(providerId: CloudProviderId, request: CloudCredentialRequest): Promise<Credentials> {
    return this.cache.get(cacheKey(providerId, request), async () => {
      const provider = CLOUD_CREDENTIAL_PROVIDERS[providerId];
      try {
        const { credentials, expiresAt } = await provider.obtain(request);
        return { token: credentials, lifetimeSeconds: Math.max(0, (expiresAt - this.now()) / 1000) };
      } catch (err) {
        throw cloudFailure(providerId, provider, request.host, err);
      }
    });
  }

  /** Forgets `credentials` after the registry refused them, so the next request mints new ones. */
  invalidate(providerId: CloudProviderId, request: CloudCredentialRequest, credentials: Credentials): void {
    this.cache.invalidate(cacheKey(providerId, request), credentials);
  }
}

function cacheKey(providerId: CloudProviderId, { host, challenge }: CloudCredentialRequest): string {
  return `${providerId}|${host}|${challenge.params.realm ?? ''}`;
}
