// The JSON shape of GET /api/v1/status, built from the pipeline's memory of its last results.
import type { Pipeline } from '../automation/pipeline.js';
import { commitChange } from '../automation/run-automation.js';

/** What GET /api/v1/status answers and the status page shows. */
export type StatusReport = ReturnType<typeof statusReport>;

/** Images, policies and automations with their last outcome. */
export function statusReport(pipeline: Pipeline) {
  return {
    images: [...pipeline.images].map(([name, s]) => ({
      name,
      lastScan: s.lastScan?.toISOString() ?? null,
      tagCount: s.tags.length,
      excluded: s.excluded,
      error: s.error,
    })),
    policies: [...pipeline.policies].map(([name, s]) => ({
      name,
      latest: s.pick ? { tag: s.pick.tag, digest: s.pick.digest ?? null } : null,
      stats: s.evaluation?.stats ?? null,
      skipped: s.evaluation?.skipped ?? [],
      error: s.error,
    })),
    automations: [...pipeline.automations].map(([name, s]) => ({
      name,
      lastRun: s.lastRun?.toISOString() ?? null,
      lastCommit: s.lastCommit ? { sha: s.lastCommit.sha, subject: s.lastCommit.subject, at: s.lastCommit.at.toISOString() } : null,
      changes: s.result?.changes.map(commitChange) ?? [],
      problems: s.result?.problems ?? [],
      heldBack: s.result?.heldBack ?? [],
      pullRequest: s.result?.pullRequest ?? null,
      error: s.error,
    })),
    notifications: pipeline.events?.status() ?? [],
  };
}
