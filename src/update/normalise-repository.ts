// Docker's reference rules (distribution/reference): a first path component is a registry host only
// when it contains "." or ":" or is "localhost"; otherwise the image lives on Docker Hub, where
// single-name images sit under "library/".

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The canonical form of a repository (`nginx` → `docker.io/library/nginx`), so spellings compare equal. */
export function normaliseRepository(repository: string): string {
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = hasHost ? first.toLowerCase() : 'docker.io';
  const path = hasHost ? repository.slice(slash + 1) : repository;
  if (DOCKER_HUB_ALIASES.has(host)) return path.includes('/') ? `docker.io/${path}` : `docker.io/library/${path}`;
  return `${host}/${path}`;
}
