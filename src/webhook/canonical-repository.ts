// Docker's reference rules (distribution/reference): a first path component is a registry host
// only when it contains "." or ":" or is "localhost"; otherwise the image is on Docker Hub, whose
// single-name images sit under "library/". Kept local to src/webhook so this stage imports no other.

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `host/path` with the host lower-cased and Docker Hub spelled one way, so `nginx` ≡ `docker.io/library/nginx`. */
export function canonicalRepository(repository: string): string {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = hasHost ? first.toLowerCase() : 'docker.io';
  const path = hasHost ? repository.slice(slash + 1) : repository;
  if (DOCKER_HUB_ALIASES.has(host)) return path.includes('/') ? `docker.io/${path}` : `docker.io/library/${path}`;
  return `${host}/${path}`;
}
