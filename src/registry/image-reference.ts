// Where a configured repository is served: `nginx` is docker.io/library/nginx, on registry-1.docker.io.
import { splitRepository } from '../repository-name.js';

/** A repository split into the registry host and the path inside it. */
export interface RepositoryReference {
  /** Registry host as configured (`docker.io`, `ghcr.io`, `127.0.0.1:5000`), lower-cased. */
  host: string;
  /** Host the distribution API is served on (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** Repository path inside the registry (`library/nginx`, `acme/app`). */
  path: string;
}

/** Splits a repository (no tag) into host, API host and path. */
export function parseRepository(repository: string): RepositoryReference {
  const { host, path } = splitRepository(repository);
  return { host, apiHost: host === 'docker.io' ? 'registry-1.docker.io' : host, path };
}
