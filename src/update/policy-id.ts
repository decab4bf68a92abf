// A policy's identity (SPEC §1, §3): names are unique per namespace, so `NS:NAME` (or `NAME` when the
// policy has no namespace) is the one key of picks, statuses and references.

/** `NS:NAME`, or `NAME` for a policy without a namespace. */
export function policyId(policy: { name: string; namespace?: string | undefined }): string {
  return policy.namespace === undefined ? policy.name : `${policy.namespace}:${policy.name}`;
}

/** The name part of a policy id. */
export function policyNameOf(id: string): string {
  return id.slice(id.lastIndexOf(':') + 1);
}

/** Whom a reference names: one policy id, none, or several (a bare NAME that two namespaces share). */
export type PolicyResolution = { id: string } | { unknown: true } | { ambiguous: string[] };

/**
 * Resolves a reference (a marker's `NS:NAME` or `NAME`, an automations[].policies entry) among the
 * configured ids. `NS:NAME` names that namespace's policy, else a policy NAME without a namespace
 * (which answers to any). A bare `NAME` names the policy without a namespace, else the only one so called.
 */
export function resolvePolicyReference(namespace: string | undefined, name: string, ids: Iterable<string>): PolicyResolution {
  const known = ids instanceof Set ? (ids as ReadonlySet<string>) : new Set(ids);
  if (namespace !== undefined && known.has(`${namespace}:${name}`)) return { id: `${namespace}:${name}` };
  if (known.has(name)) return { id: name };
  if (namespace !== undefined) return { unknown: true };
  const namespaced = [...known].filter((id) => id.endsWith(`:${name}`));
  if (namespaced.length === 1) return { id: namespaced[0]! };
  return namespaced.length === 0 ? { unknown: true } : { ambiguous: namespaced.sort() };
}

/** Resolves `NAME` or `NS:NAME` as written in config. */
export function resolvePolicyText(reference: string, ids: Iterable<string>): PolicyResolution {
  const colon = reference.lastIndexOf(':');
  return colon === -1
    ? resolvePolicyReference(undefined, reference, ids)
    : resolvePolicyReference(reference.slice(0, colon), reference.slice(colon + 1), ids);
}
