// Registry credentials from the config: a username and password, or a Docker config.json. (A cloud
// provider's are minted by cloud-credentials/, which needs the registry's challenge.)
import type { RegistryConfig } from '../config/schema.js';
import { dockerConfigCredentials } from './docker-config.js';

/** A username and password for Basic auth or a token realm. */
export interface Credentials {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token (Docker's `identitytoken`, ACR's exchanged token): the token realm is then
   * asked with grant_type=refresh_token instead of Basic credentials.
   */
  identityToken?: string;
}

/** The credentials configured for `host`, or null for anonymous access. */
export async function credentialsFor(host: string, settings: RegistryConfig | undefined): Promise<Credentials | null> {
  const auth = settings?.auth;
  if (!auth) return null;
  // The loader has already read passwordEnv / passwordFile into `password`.
  if ('username' in auth) return { username: auth.username, password: auth.password ?? '' };
  if ('dockerConfig' in auth) return dockerConfigCredentials(host, auth.dockerConfig);
  return null;
}
