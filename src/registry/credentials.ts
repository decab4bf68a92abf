// Registry credentials from the config: a username and password, or a Docker config.json.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { InputError } from '../errors.js';
import type { RegistryConfig } from '../config/schema.js';

/** A username and password for Basic auth or a token realm. */
export interface Credentials {
  username: string;
  password: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

/** The credentials configured for `host`, or null for anonymous access. */
export function credentialsFor(host: string, settings: RegistryConfig | undefined): Credentials | null {
  const auth = settings?.auth;
  if (!auth) return null;
  if ('username' in auth) return { username: auth.username, password: auth.password ?? '' };
  return fromDockerConfig(host, auth.dockerConfig);
}

function fromDockerConfig(host: string, path: string): Credentials | null {
  const file = path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
  let parsed: DockerConfigFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch (err) {
    throw new InputError(`registries ${host}: cannot read docker config ${path}: ${(err as Error).message}`);
  }
  const entries = parsed.auths ?? {};
  const aliases = host === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [host, `https://${host}`];
  for (const key of aliases) {
    const entry = entries[key];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return null;
}
