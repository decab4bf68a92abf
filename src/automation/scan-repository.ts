// `tagpilot scan`: list a repository's tags, drop the excluded ones, pick with an ad hoc policy,
// and resolve the pick's digest — the same stages a configured image goes through.
import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Evaluation, Policy } from '../policy/policy.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { scanRepository } from '../registry/scan-repository.js';
import { canonicalRepository } from '../repository-name.js';
import type { CosignVerifier } from '../verify/cosign-verifier.js';
import { pickVerified } from '../verify/pick-verified.js';

/** What scan prints (`--json` is exactly this object). */
export interface ScanReport {
  repository: string;
  tags: string[];
  latest: { tag: string; digest: string | null } | null;
  reason: string | null;
  excluded: number;
  stats: Evaluation['stats'];
  /** With --cosign-key: better candidates passed over because their signature is missing or bad. */
  skipped: NonNullable<Evaluation['skipped']>;
}

/**
 * The exclude list of the configured image watching `repository` (compared normalised), so `scan`
 * sees the tags the service sees; undefined (the default list) when no image watches it.
 */
export function excludeFor(config: Pick<Config, 'images'> | undefined, repository: string): string[] | undefined {
  const wanted = canonicalRepository(repository);
  return config?.images.find((image) => canonicalRepository(image.repository) === wanted)?.exclude;
}

/** Scans `repository` and picks with `policy` (only signed tags with `verifier`); registry failures propagate. */
export async function scanAndPick(
  registry: RegistryClient,
  repository: string,
  policy: Policy,
  options: { exclude?: readonly string[] | undefined; verifier?: CosignVerifier | undefined } = {},
): Promise<ScanReport> {
  const { tags, excluded } = await scanRepository(registry, repository, options.exclude);
  const { verifier } = options;
  if (verifier) {
    // Verification needs each candidate's digest, so a failure to get one fails the scan.
    const { evaluation, digest } = await pickVerified(policy, tags, {
      digest: (tag) => registry.getDigest(repository, tag),
      verify: (d) => verifier.verify(repository, d),
      needDigest: true,
    });
    const latest = evaluation.pick ? { tag: evaluation.pick.tag, digest } : null;
    return { repository, tags, latest, reason: evaluation.reason, excluded: excluded.length, stats: evaluation.stats, skipped: evaluation.skipped ?? [] };
  }
  const evaluation = policy.evaluate(tags);
  let latest: ScanReport['latest'] = null;
  let reason = evaluation.reason;
  if (evaluation.pick) {
    try {
      latest = { tag: evaluation.pick.tag, digest: await registry.getDigest(repository, evaluation.pick.tag) };
    } catch (err) {
      // The pick stands without a digest; say why rather than failing the whole scan.
      latest = { tag: evaluation.pick.tag, digest: null };
      reason = `digest unavailable: ${errorMessage(err)}`;
    }
  }
  return { repository, tags, latest, reason, excluded: excluded.length, stats: evaluation.stats, skipped: [] };
}

/** The human-readable form of a scan report. */
export function renderScanReport(report: ScanReport): string {
  const { stats } = report;
  const lines = [
    `${report.repository}: ${report.tags.length} tags (${report.excluded} excluded)`,
    ...report.tags.map((t) => `  ${t}`),
    report.latest
      ? `latest: ${report.latest.tag}${report.latest.digest ? `@${report.latest.digest}` : ''}`
      : `latest: none (${report.reason})`,
    `seen ${stats.seen}, filtered ${stats.filtered}, unparsable ${stats.unparsable}, out of range ${stats.outOfRange}, candidates ${stats.candidates}`,
  ];
  for (const s of report.skipped) lines.push(`skipped ${s.tag}: ${s.reason}`);
  if (report.latest && report.reason) lines.push(report.reason);
  return `${lines.join('\n')}\n`;
}
