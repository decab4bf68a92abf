import { canonicalRepository } from '../repository-name.js';

/** A repository that more than one policy points at. */
export interface SharedRepository {
  repository: string;
  policies: string[];
}

/**
 * Repositories (compared normalised) claimed by two or more policies. In `update: auto` nothing says
 * which policy an unmarked `image:` belongs to, so the config loader reports these as errors.
 */
export function findSharedRepositories(
  policies: Iterable<{ policy: string; repository: string }>,
): SharedRepository[] {
  const byRepository = new Map<string, SharedRepository>();
  for (const { policy, repository } of policies) {
    const key = canonicalRepository(repository);
    const entry = byRepository.get(key) ?? { repository: key, policies: [] };
    if (!entry.policies.includes(policy)) entry.policies.push(policy);
    byRepository.set(key, entry);
  }
  return [...byRepository.values()].filter((entry) => entry.policies.length > 1);
}
