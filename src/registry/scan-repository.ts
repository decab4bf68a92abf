// One scan of a repository, as `tagpilot scan` and the scheduler need it: its tags, minus the excluded ones.
import { DEFAULT_EXCLUDE } from '../config/schema.js';
import { excludeTags } from './exclude-tags.js';
import { canonicalRepository } from '../repository-name.js';
import type { RegistryClient } from './registry-client.js';

/** The tags a scan found: `tags` are the candidates for policies, `excluded` what the exclude list dropped. */
export interface RepositoryScan {
  /** As the caller wrote it (`nginx`). */
  repository: string;
  /** Host and path (`docker.io/library/nginx`). */
  canonical: string;
  tags: string[];
  excluded: string[];
}

/** Lists `repository`'s tags and applies `excludePatterns` (images[].exclude; the cosign default when omitted). */
export async function scanRepository(
  client: Pick<RegistryClient, 'listTags'>,
  repository: string,
  excludePatterns: readonly string[] = DEFAULT_EXCLUDE,
): Promise<RepositoryScan> {
  const { tags, excluded } = excludeTags(await client.listTags(repository), excludePatterns);
  return { repository, canonical: canonicalRepository(repository), tags, excluded };
}
