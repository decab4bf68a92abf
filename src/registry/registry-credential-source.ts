// Where a registry host's credentials come from, named as the config spells it, so a refusal
// (401/403) tells the operator which key or variable to fix.
import type { RegistryConfig } from '../config/schema.js';

/**
 * `check registries[HOST].auth.passwordEnv VAR (username U)` when credentials were sent; when none
 * were, why not and how to add them.
 */
export function describeRegistryCredentials(host: string, settings: RegistryConfig | undefined, sent: boolean): string {
  const name = settings?.host ?? host;
  const auth = settings?.auth;
  if (!auth) return `no credentials configured for host ${name}: add registries[] with host: ${name} and auth`;
  const key = `registries[${name}].auth`;
  if ('dockerConfig' in auth) {
    return sent ? `check the entry for ${name} in ${key}.dockerConfig ${auth.dockerConfig}` : `${key}.dockerConfig ${auth.dockerConfig} holds no credentials for ${name}`;
  }
  if ('provider' in auth) return `check the ${auth.provider} identity tagpilot runs as (${key}.provider) and that it may pull from ${name}`;
  const source =
    auth.passwordEnv !== undefined ? `passwordEnv ${auth.passwordEnv}` : auth.passwordFile !== undefined ? `passwordFile ${auth.passwordFile}` : 'password';
  return `check ${key}.${source} (username ${auth.username})`;
}
