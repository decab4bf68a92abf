// The credentials one run sends to the git server: the configured user and password, or a GitHub
// App's installation token as `x-access-token` (what GitHub expects for App tokens over HTTPS).
import type { GitConfig } from '../config/schema.js';
import type { GitCredentials } from './git-repository.js';
import type { SshAuth } from './git-ssh-client.js';

/** Resolved per run, so a GitHub App token is always one that lasts the run. */
export async function gitCredentials(git: GitConfig, env: NodeJS.ProcessEnv): Promise<GitCredentials | undefined> {
  const auth = git.auth;
  if (!auth) return undefined;
  if ('githubApp' in auth) {
    // Loaded here: the App token client brings an HTTP client (got) that a fetch with a password does not need.
    const { githubAppToken } = await import('./github-app-token.js');
    return { username: 'x-access-token', password: await githubAppToken(auth.githubApp, git.url, env) };
  }
  // SSH keys travel in the SSH transport, not as HTTP credentials.
  if ('sshKeyFile' in auth) return undefined;
  return { username: auth.username, password: auth.password ?? '' };
}

/** How a GitRepository for `git` logs in: HTTP credentials (a password or App token) or an SSH key. */
export async function gitLogin(git: GitConfig, env: NodeJS.ProcessEnv): Promise<{ credentials?: GitCredentials; ssh?: SshAuth }> {
  const auth = git.auth;
  if (auth && 'sshKeyFile' in auth) {
    return { ssh: { ...auth, passphrase: auth.sshKeyPassphraseEnv && env[auth.sshKeyPassphraseEnv] } };
  }
  const credentials = await gitCredentials(git, env);
  return credentials ? { credentials } : {};
}
