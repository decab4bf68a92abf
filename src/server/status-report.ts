// The JSON shape of GET /api/v1/status (and what the status page shows), built from the pipeline's
// memory of its last results plus the config: every fact a person running tagpilot asks about.
import type { AutomationStatus, Pipeline } from '../automation/pipeline.js';
import { commitChange } from '../automation/commit-change.js';
import type { PolicyConfig } from '../config/schema.js';
import type { EvaluationStats } from '../policy/policy.js';
import { redactUrl } from '../git/redact-url.js';
import type { ImagePick, MarkedField, SetterChange } from '../update/apply-setters.js';
import { valueFor } from '../update/find-marker-targets.js';
import { policyId } from '../update/policy-id.js';
import { tagpilotVersion } from '../version.js';

/** What the report needs beyond the pipeline: the service's own facts. */
export interface StatusContext {
  /** When the service started (uptime). */
  startedAt: Date;
  /** The config files in force, for the empty state and the footer. */
  configFiles: readonly string[];
  /** When an image's next scheduled scan is due; null for webhooks-only images. */
  nextScan(image: string): Date | null;
  now?: Date;
}

/** What GET /api/v1/status answers and the status page shows. */
export type StatusReport = ReturnType<typeof statusReport>;

/** Where a marked field stands against its policy's pick. */
export type FieldState = 'up to date' | 'will change' | 'not pushed' | 'held back' | 'in review' | 'no pick' | 'unknown policy';

/** Images, policies and automations with their last outcome, and a summary line. */
export function statusReport(pipeline: Pipeline, context: StatusContext) {
  const now = context.now ?? new Date();
  const { config } = pipeline;
  const iso = (d: Date | null | undefined): string | null => d?.toISOString() ?? null;

  const images = config.images.map((image) => {
    const s = pipeline.images.get(image.name)!;
    return {
      name: image.name,
      repository: image.repository,
      intervalMs: image.interval,
      lastScan: iso(s.lastScan),
      nextScan: iso(context.nextScan(image.name)),
      lastWebhook: s.lastWebhook ? { at: s.lastWebhook.at.toISOString(), webhook: s.lastWebhook.webhook } : null,
      tagCount: s.tags.length,
      excluded: s.excluded,
      error: s.error,
      failingSince: iso(s.failingSince),
    };
  });

  const heldByPolicy = new Map<string, Array<{ automation: string; tag: string; commit: string; revertedBy: string }>>();
  for (const [automation, s] of pipeline.automations) {
    for (const h of s.result?.heldBack ?? []) {
      const list = heldByPolicy.get(h.policy) ?? [];
      list.push({ automation, tag: h.tag, commit: h.commit, revertedBy: h.revertedBy });
      heldByPolicy.set(h.policy, list);
    }
  }

  const policies = config.policies.map((policy) => {
    const s = pipeline.policies.get(policyId(policy))!;
    const stats = s.evaluation?.stats ?? null;
    return {
      name: policy.name,
      image: policy.image,
      rule: ruleOf(policy),
      latest: s.pick ? { tag: s.pick.tag, digest: s.pick.digest ?? null } : null,
      stats,
      explanation: {
        candidates: stats?.candidates ?? null,
        /**
         * Tags left out and why, one entry per reason. Rules that screen tags in other ways (a cosign
         * signature, a promotion's soak) add their own entries here.
         */
        skipped: [
          ...(stats ? skippedOf(policy, stats) : []),
          ...((s.evaluation?.skipped ?? []).length > 0 ? [{ count: s.evaluation!.skipped!.length, why: 'no valid cosign signature by the policy\'s key' }] : []),
        ],
        /** Picks a revert on an automation's branch keeps out of Git (SPEC §4). */
        heldBack: heldByPolicy.get(policyId(policy)) ?? [],
        reason: s.evaluation?.reason ?? null,
      },
      /** Tags a cosign signature check left out, each with its reason. */
      skipped: s.evaluation?.skipped ?? [],
      promotion: s.promotion ?? null,
      error: s.error,
      failingSince: iso(s.failingSince),
    };
  });

  const automations = config.automations.map((automation) => {
    const s = pipeline.automations.get(automation.name)!;
    const picks = pipeline.shownPicks(automation.name);
    return {
      name: automation.name,
      git: {
        url: redactUrl(automation.git.url),
        branch: automation.git.branch,
        pushBranch: automation.git.pushBranch ?? null,
        paths: automation.paths,
      },
      update: automation.update,
      lastRun: iso(s.lastRun),
      lastCommit: s.lastCommit ? { sha: s.lastCommit.sha, subject: s.lastCommit.subject, at: s.lastCommit.at.toISOString() } : null,
      head: s.read?.head ?? null,
      fields: (s.read?.fields ?? []).map((f) => fieldView(f, picks.get(f.policy), s, pipeline.policies.has(f.policy))),
      changes: s.result?.changes.map(changeView) ?? [],
      unpushed: s.unpushed ? { changes: s.unpushed.changes.map(changeView), reason: s.unpushed.reason, since: s.unpushed.since.toISOString() } : null,
      // From the last read of the branch, so a run that then failed to push still shows them.
      problems: s.read?.problems ?? s.result?.problems ?? [],
      heldBack: s.result?.heldBack ?? [],
      pullRequest: s.result?.pullRequest ?? null,
      recentCommits: (s.read?.commits ?? []).map((c) => ({ sha: c.sha, subject: c.subject, at: c.at.toISOString() })),
      error: s.error,
      failingSince: iso(s.failingSince),
    };
  });

  return {
    version: tagpilotVersion(),
    startedAt: context.startedAt.toISOString(),
    uptimeSeconds: Math.max(0, Math.round((now.getTime() - context.startedAt.getTime()) / 1000)),
    generatedAt: now.toISOString(),
    configFiles: [...context.configFiles],
    summary: summaryOf(images, policies, automations),
    images,
    policies,
    automations,
    notifications: pipeline.events?.status() ?? [],
  };
}

/** A change as commit messages show it (versions, not whole references), with the line and field it is at. */
function changeView(change: SetterChange) {
  return { ...commitChange(change), line: change.line, field: change.field };
}

/** The rule as configured: one strategy, the filter, digest pinning. */
function ruleOf(policy: PolicyConfig) {
  const [kind, value] = policy.semver !== undefined
    ? (['semver', policy.semver] as const)
    : policy.alphabetical !== undefined
      ? (['alphabetical', policy.alphabetical] as const)
      : (['numerical', policy.numerical ?? 'asc'] as const);
  return { kind, value, filter: policy.filter?.pattern ?? null, extract: policy.filter?.extract ?? null, digest: policy.digest };
}

function skippedOf(policy: PolicyConfig, stats: EvaluationStats) {
  const parsesAs = policy.semver !== undefined ? 'semver' : policy.numerical !== undefined ? 'a number' : 'a value';
  const skipped: Array<{ count: number; why: string }> = [];
  if (stats.filtered > 0) skipped.push({ count: stats.filtered, why: `did not match filter ${policy.filter?.pattern ?? ''}` });
  if (stats.unparsable > 0) skipped.push({ count: stats.unparsable, why: `not ${parsesAs}` });
  if (stats.outOfRange > 0) skipped.push({ count: stats.outOfRange, why: `outside range ${policy.semver ?? ''}` });
  return skipped;
}

/** A marked field beside what its policy wants there, and which of the two Git will end up with. */
function fieldView(field: MarkedField, pick: ImagePick | undefined, s: AutomationStatus, known: boolean) {
  const wanted = pick ? valueFor({ policy: field.policy, field: field.field }, pick) : null;
  const held = pick && s.result?.heldBack.some((h) => h.policy === field.policy && h.tag === pick.tag);
  const at = (c: { file: string; line: number }) => c.file === field.file && c.line === field.line;
  let state: FieldState;
  if (!known) state = 'unknown policy';
  else if (wanted === null) state = 'no pick';
  else if (wanted === field.value) state = 'up to date';
  else if (held) state = 'held back';
  else if (s.unpushed?.changes.some(at)) state = 'not pushed';
  else if (s.result?.changes.some(at) && (s.result.commit || s.result.alreadyPushed)) state = 'in review';
  else state = 'will change';
  return { ...field, pick: wanted, state };
}

type Named = { name: string; error: string | null; failingSince: string | null };

/** One line for the top of the page: what is failing and since when, or that all is well. */
function summaryOf(images: Named[], policies: Named[], automations: Array<Named & { lastRun: string | null; heldBack: unknown[]; problems: unknown[] }>) {
  const failing = [
    ...automations.filter((a) => a.error).map((a) => ({ kind: 'automation', ...a })),
    ...images.filter((i) => i.error).map((i) => ({ kind: 'image', ...i })),
  ].map(({ kind, name, error, failingSince }) => ({ kind, name, error: error!, since: failingSince }));
  const held = automations.reduce((n, a) => n + a.heldBack.length, 0);
  const fileProblems = automations.reduce((n, a) => n + a.problems.length, 0);
  const notRun = automations.filter((a) => !a.lastRun && !a.error).length;
  const noPick = policies.filter((p) => p.error && !images.some((i) => i.error && p.error!.startsWith(`image ${i.name}:`))).length;
  let state: 'empty' | 'failing' | 'pending' | 'ok';
  let text: string;
  if (automations.length === 0 && images.length === 0 && policies.length === 0) {
    state = 'empty';
    text = 'nothing configured yet';
  } else if (failing.length > 0) {
    state = 'failing';
    const since = (iso: string | null) => (iso ? ` (since ${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC)` : '');
    text = `${failing.length} failing: ${failing.map((f) => `${f.kind} ${f.name}${since(f.since)}`).join(', ')}`;
  } else if (notRun > 0) {
    state = 'pending';
    text = `${notRun} of ${count(automations.length, 'automation')} not run yet`;
  } else {
    state = 'ok';
    text = `all ${count(automations.length, 'automation')} up to date`;
  }
  const notes = [
    held > 0 ? `${count(held, 'tag')} held back by a revert` : '',
    noPick > 0 ? `${count(noPick, 'policy', 'policies')} without a pick` : '',
    fileProblems > 0 ? `${count(fileProblems, 'problem')} in the files` : '',
  ].filter(Boolean);
  if (notes.length > 0 && state === 'failing') text += `; ${notes.join('; ')}`;
  else if (notes.length > 0 && state !== 'empty') text += ` (${notes.join('; ')})`;
  return { state, text, failing };
}

function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
