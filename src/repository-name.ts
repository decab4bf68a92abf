// Docker's reference rules (distribution/reference), shared by every stage that compares
// repositories: the first path component is a registry host only when it contains "." or ":" or is
// "localhost"; otherwise the image is on Docker Hub, whose single-name images sit under "library/".

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** A registry host lower-cased (hosts are case-insensitive), with Docker Hub's aliases folded into `docker.io`. */
export function registryHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? 'docker.io' : lower;
}

/** A repository (no tag) as its registry host and the path inside it, with Docker Hub's defaults applied. */
export function splitRepository(repository: string): { host: string; path: string } {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = hasHost ? registryHost(first) : 'docker.io';
  const path = hasHost ? repository.slice(slash + 1) : repository;
  return { host, path: host === 'docker.io' && !path.includes('/') ? `library/${path}` : path };
}

/** The `host/path` form, so `nginx`, `docker.io/nginx` and `index.docker.io/library/nginx` compare equal. */
export function canonicalRepository(repository: string): string {
  const { host, path } = splitRepository(repository);
  return `${host}/${path}`;
}
