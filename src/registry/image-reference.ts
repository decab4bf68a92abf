// Where a configured repository lives: `nginx` is docker.io/library/nginx, served by registry-1.docker.io.

/** A repository split into the registry host and the path inside it. */
export interface RepositoryReference {
  /** Registry host as users write it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  host: string;
  /** Host the distribution API is served on (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** Repository path inside the registry (`library/nginx`, `acme/app`). */
  path: string;
}

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** A registry host as configured (registries[].host), with Docker Hub's aliases folded into `docker.io`. */
export function registryHost(host: string): string {
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** Splits a repository (no tag) into host and path, applying Docker Hub's defaults. */
export function parseRepository(repository: string): RepositoryReference {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = hasHost ? registryHost(first) : 'docker.io';
  let path = hasHost ? repository.slice(slash + 1) : repository;
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { host, apiHost: host === 'docker.io' ? 'registry-1.docker.io' : host, path };
}

/** The canonical `host/path` form, so `nginx` and `docker.io/library/nginx` compare equal. */
export function canonicalRepository(repository: string): string {
  const ref = parseRepository(repository);
  return `${ref.host}/${ref.path}`;
}
