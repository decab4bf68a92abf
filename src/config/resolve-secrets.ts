// Reads secrets named by passwordEnv/passwordFile/secretEnv/secretFile into the config, once, at load;
// checks the files and passphrase variable an SSH remote needs.
import { readFileSync } from 'node:fs';
import { nodeCrypto } from '../node-crypto.js';
import type { Config } from './schema.js';
import type { LocatedProblem } from './located-problem.js';
import { sshAuthProblems } from './ssh-auth-problems.js';

interface SecretHolder {
  [key: string]: unknown;
}

/** Fills `password` / `secret` from their Env/File variants; returns what could not be read. */
export function resolveSecrets(config: Config, env: NodeJS.ProcessEnv): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const resolveOne = (holder: SecretHolder | undefined, field: 'password' | 'secret' | 'url', path: PropertyKey[]) => {
    if (!holder) return;
    const envName = holder[`${field}Env`];
    const fileName = holder[`${field}File`];
    if (typeof envName === 'string') {
      const value = env[envName];
      if (value === undefined || value === '') {
        problems.push({ path: [...path, `${field}Env`], message: `environment variable ${envName} is not set` });
      } else holder[field] = value;
    } else if (typeof fileName === 'string') {
      try {
        holder[field] = readFileSync(fileName, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
        problems.push({ path: [...path, `${field}File`], message: `cannot read ${fileName}: ${why}` });
      }
    }
  };
  config.automations.forEach((a, i) => {
    if (a.git.auth && 'username' in a.git.auth) resolveOne(a.git.auth, 'password', ['automations', i, 'git', 'auth']);
    // SSH: the key and known_hosts files must be readable and sshKeyPassphraseEnv set (run-automation reads it).
    problems.push(...sshAuthProblems(a.git, ['automations', i, 'git'], env));
    const auth = a.git.auth;
    if (auth && 'githubApp' in auth) problems.push(...githubAppKeyProblems(auth.githubApp.privateKeyFile, ['automations', i, 'git', 'auth', 'githubApp', 'privateKeyFile']));
  });
  config.registries.forEach((r, i) => {
    if (r.auth && 'username' in r.auth) resolveOne(r.auth, 'password', ['registries', i, 'auth']);
  });
  config.webhooks.forEach((w, i) => resolveOne(w, 'secret', ['webhooks', i]));
  config.notifications.forEach((n, i) => {
    resolveOne(n, 'secret', ['notifications', i]);
    resolveOne(n, 'url', ['notifications', i]);
    // The URL is a secret (Slack and Discord webhook URLs are the credential): never echo it.
    if (n.url !== undefined && !/^https?:\/\/[^\s/]+/.test(n.url)) {
      const from = n.urlEnv ? 'urlEnv' : n.urlFile ? 'urlFile' : 'url';
      problems.push({ path: ['notifications', i, from], message: `notification ${n.name}: expected an http(s):// URL` });
    }
  });
  config.automations.forEach((a, i) => {
    const tokenEnv = a.pullRequest?.tokenEnv;
    if (tokenEnv !== undefined && !env[tokenEnv]) {
      problems.push({ path: ['automations', i, 'pullRequest', 'tokenEnv'], message: `environment variable ${tokenEnv} is not set` });
    }
    const appToken = a.pullRequest?.provider === 'github' && a.git.auth !== undefined && 'githubApp' in a.git.auth;
    if (a.pullRequest && tokenEnv === undefined && !appToken) {
      problems.push({ path: ['automations', i, 'pullRequest'], message: 'expected tokenEnv (only provider github with git.auth.githubApp can do without: the App token serves)' });
    }
  });
  return problems;
}

/** A GitHub App key is read at each token request; check finds a missing or unusable one now. */
function githubAppKeyProblems(file: string, path: PropertyKey[]): LocatedProblem[] {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    return [{ path, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }];
  }
  try {
    if (nodeCrypto().createPrivateKey(pem).asymmetricKeyType === 'rsa') return [];
  } catch {
    // reported below
  }
  return [{ path, message: `${file} is not an RSA private key in PEM form (the .pem GitHub generates for the App)` }];
}
