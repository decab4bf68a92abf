// Credentials from a Docker config.json: `auths` entries, or a credential helper (`credHelpers`, `credsStore`),
// looked up the way the Docker CLI does (cli/config/configfile).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as z from '../zod.js';
import { InputError } from '../errors.js';
import { runCredentialHelper } from './credential-helper.js';
import type { Credentials } from './credentials.js';
import { registryHost } from '../repository-name.js';

/** The parts of config.json we read; everything else in it is ignored. */
export const DockerConfig = z.object({
  auths: z.optional(
    z.record(z.string(), z.object({ auth: z.optional(z.string()), username: z.optional(z.string()), password: z.optional(z.string()) })),
  ),
  credHelpers: z.optional(z.record(z.string(), z.string())),
  credsStore: z.optional(z.string()),
});
export type DockerConfig = z.output<typeof DockerConfig>;

// The key `docker login` writes for Docker Hub, and the server URL helpers expect for it.
const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

/** The credentials `path` holds for `host` (as users write it, `docker.io` for Docker Hub), or null. */
export async function dockerConfigCredentials(host: string, path: string): Promise<Credentials | null> {
  const config = await readDockerConfig(host, path);
  const helper = pick(config.credHelpers ?? {}, host) ?? config.credsStore;
  if (helper) {
    const fromHelper = await runCredentialHelper(helper, host === 'docker.io' ? DOCKER_HUB_SERVER : host);
    if (fromHelper) return fromHelper;
  }
  const entry = pick(config.auths ?? {}, host);
  if (!entry) return null;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // The message names the file and host only: the field is the secret.
    if (colon <= 0) throw new InputError(`registries ${host}: docker config ${path} has an auth entry that is not base64 "user:password"`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return null;
}

async function readDockerConfig(host: string, path: string): Promise<DockerConfig> {
  const file = path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const reason = err instanceof SyntaxError ? 'not JSON' : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    throw new InputError(`registries ${host}: cannot read docker config ${path}: ${reason}`);
  }
  const parsed = DockerConfig.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new InputError(`registries ${host}: docker config ${path} has unexpected values at ${where}`);
  }
  return parsed.data;
}

/** The value whose key names `host`; keys may carry a scheme and path (`https://index.docker.io/v1/`). */
function pick<T>(entries: Record<string, T>, host: string): T | undefined {
  for (const [key, value] of Object.entries(entries)) {
    const keyHost = registryHost(key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase());
    if (keyHost === host.toLowerCase()) return value;
  }
  return undefined;
}
