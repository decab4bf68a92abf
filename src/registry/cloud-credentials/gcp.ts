// Google Artifact Registry / Container Registry: an OAuth2 access token from application default
// credentials (a key file, gcloud's ADC, or the metadata server that GKE workload identity serves),
// sent as the password of the user `oauth2accesstoken`.
// https://cloud.google.com/artifact-registry/docs/docker/authentication#token
import type { GoogleAuth } from 'google-auth-library';
import { InputError } from '../../errors.js';
import type { CloudCredentialProvider } from './cloud-provider.js';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
// Google's client refreshes its own token in time; one instance keeps what it found for the process.
let auth: GoogleAuth | undefined;

export const gcp: CloudCredentialProvider = {
  sources:
    'Google application default credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud\'s application_default_credentials.json, ' +
    'the metadata server (GKE workload identity, GCE; GCE_METADATA_HOST)',
  async obtain({ host }) {
    const { GoogleAuth } = await import('google-auth-library');
    auth ??= new GoogleAuth({ scopes: [SCOPE] });
    const client = await auth.getClient();
    const { token } = await client.getAccessToken();
    if (!token) throw new InputError(`registries ${host}: gcp credentials: Google's token service sent no access token`);
    return {
      credentials: { username: 'oauth2accesstoken', password: token },
      expiresAt: client.credentials.expiry_date ?? Date.now() + 3600_000,
    };
  },
  isUnavailable: (err) => /could not load the default credentials/i.test((err as Error).message ?? ''),
  statusOf: (err) => {
    const { response, status } = err as { response?: { status?: unknown }; status?: unknown };
    const value = response?.status ?? status;
    return typeof value === 'number' ? value : undefined;
  },
};
