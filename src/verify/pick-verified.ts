// SPEC §2 verify.cosign: a tag is a candidate only when its digest carries a signature that verifies.
// Verification needs a digest per tag, so it runs lazily from the best candidate down until one
// passes, rather than over every tag.
import type { Evaluation, Policy, SkippedTag } from '../policy/policy.js';
import type { Verdict } from './cosign-verifier.js';

/** Candidates tried before giving up: a repository of unsigned tags must not cost a request per tag. */
export const MAX_UNVERIFIED = 25;

/** The evaluation (with `skipped` filled) and the digest of its pick when one was resolved. */
export interface VerifiedEvaluation {
  evaluation: Evaluation;
  digest: string | null;
}

export interface PickVerifiedOptions {
  /** The digest of a tag (the registry's getDigest). */
  digest: (tag: string) => Promise<string>;
  /** Absent: no verification, and the digest is resolved only when `needDigest`. */
  verify?: ((digest: string) => Promise<Verdict>) | undefined;
  needDigest: boolean;
  /** Told each verdict, for metrics. */
  onVerdict?: (verdict: Verdict) => void;
}

/**
 * Evaluates `policy` on `tags`; with `verify`, re-evaluates without each pick whose signature is
 * missing or bad until one verifies. Registry errors (a network failure while verifying) propagate:
 * the scan fails and is retried, and the tag is never reported unsigned for it.
 */
export async function pickVerified(policy: Pick<Policy, 'evaluate'>, tags: readonly string[], options: PickVerifiedOptions): Promise<VerifiedEvaluation> {
  const skipped: SkippedTag[] = [];
  let remaining = tags;
  let stats: Evaluation['stats'] | undefined;
  for (;;) {
    // Stats stay those of all the tags: skipped candidates still count as seen and as candidates.
    const evaluated = policy.evaluate(remaining);
    stats ??= evaluated.stats;
    const evaluation = { ...evaluated, stats };
    const tag = evaluation.pick?.tag;
    if (tag === undefined) {
      return { evaluation: withSkipped(evaluation, skipped, skipped.length > 0 ? noneSigned(skipped, false) : evaluation.reason), digest: null };
    }
    if (!options.verify) {
      return { evaluation, digest: options.needDigest ? await options.digest(tag) : null };
    }
    const digest = await options.digest(tag);
    const verdict = await options.verify(digest);
    options.onVerdict?.(verdict);
    if (verdict.verified) return { evaluation: withSkipped(evaluation, skipped, null), digest };
    skipped.push({ tag, reason: verdict.reason });
    if (skipped.length >= MAX_UNVERIFIED) {
      const last = { ...evaluation, pick: null };
      return { evaluation: withSkipped(last, skipped, noneSigned(skipped, true)), digest: null };
    }
    remaining = remaining.filter((t) => t !== tag);
  }
}

function withSkipped(evaluation: Evaluation, skipped: SkippedTag[], reason: string | null): Evaluation {
  return skipped.length > 0 ? { ...evaluation, reason, skipped } : { ...evaluation, reason };
}

function noneSigned(skipped: SkippedTag[], capped: boolean): string {
  const list = skipped.slice(0, 3).map((s) => `${s.tag}: ${s.reason}`).join('; ');
  const more = skipped.length > 3 ? `; and ${skipped.length - 3} more` : '';
  const what = capped
    ? `the ${skipped.length} best candidates are not signed`
    : skipped.length === 1
      ? 'the only candidate is not signed'
      : `none of the ${skipped.length} candidates is signed`;
  return `${what} with the cosign key (${list}${more})`;
}
