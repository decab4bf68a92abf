// Where an automation's git credentials come from, named as the config spells it, so a refusal
// (401/403) tells the operator which key or variable to fix.
import type { AutomationConfig } from '../config/schema.js';

/** `check automations[NAME].git.auth.passwordEnv VAR (username U)`, or how to add credentials when there are none. */
export function describeGitCredentials(automation: AutomationConfig): string {
  const key = `automations[${automation.name}].git`;
  const auth = automation.git.auth;
  if (auth && 'sshKeyFile' in auth) return `check that the server accepts ${key}.auth.sshKeyFile ${auth.sshKeyFile} (a deploy key with write access)`;
  if (auth && 'githubApp' in auth) {
    return `check that GitHub App ${auth.githubApp.appId} (${key}.auth.githubApp) is installed on this repository with contents: write`;
  }
  if (auth) {
    const source =
      auth.passwordEnv !== undefined
        ? `passwordEnv ${auth.passwordEnv}`
        : auth.passwordFile !== undefined
          ? `passwordFile ${auth.passwordFile}`
          : 'password';
    return `check ${key}.auth.${source} (username ${auth.username}) and that it may access this repository`;
  }
  if (hasUserInUrl(automation.git.url)) return `check the user and password in ${key}.url`;
  return `no credentials configured: add ${key}.auth with username and passwordEnv`;
}

function hasUserInUrl(url: string): boolean {
  try {
    return new URL(url).username !== '';
  } catch {
    return false;
  }
}
