// Turns what the pipeline did into notification events: a commit, the first failure of a streak and its
// recovery, a hold not announced before. The pipeline calls it (PipelineEvents); the notifier delivers.
import type { AutomationResult } from '../automation/run-automation.js';
import { commitChange } from '../automation/commit-change.js';
import type { PipelineEvents, PromotionWaiting } from '../automation/pipeline-events.js';
import { errorMessage } from '../errors.js';
import { FailureStreaks } from './failure-streaks.js';
import type { NotificationEvent } from './notification-event.js';
import type { NotificationTargetStatus, Notifier } from './notifier.js';

/** The pipeline's event sink that notifies people. */
export class Notifications implements PipelineEvents {
  private readonly streaks = new FailureStreaks();
  /** Holds announced, per automation: a hold is announced once, and again only if it ends and comes back. */
  private readonly announcedHolds = new Map<string, Set<string>>();
  /** Waiting promotions announced (policy and tag), so each is announced once per process. */
  private readonly announcedWaiting = new Set<string>();

  constructor(readonly notifier: Notifier) {}

  automationRan(automation: string, result: AutomationResult): void {
    this.succeeded('automation', automation);
    if (result.commit) {
      this.publish({
        type: 'commit',
        automation,
        commit: { sha: result.commit, subject: result.subject ?? '', branch: result.branch },
        changes: result.changes.map(commitChange),
        pullRequest: result.pullRequest ? { url: result.pullRequest.url, number: result.pullRequest.number, action: result.pullRequest.action } : null,
      });
    }
    const before = this.announcedHolds.get(automation) ?? new Set<string>();
    const now = new Set<string>();
    for (const hold of result.heldBack) {
      const key = `${hold.policy}\n${hold.tag}\n${hold.revertedBy}`;
      now.add(key);
      if (before.has(key)) continue;
      const { policy, repository, tag, commit, revertedBy } = hold;
      this.publish({ type: 'held', automation, policy, repository, tag, commit, revertedBy });
    }
    this.announcedHolds.set(automation, now);
  }

  automationFailed(automation: string, error: unknown): void {
    this.failed('automation', automation, error);
  }

  imageScanned(image: string, failure: unknown): void {
    if (failure) this.failed('image', image, failure);
    else this.succeeded('image', image);
  }

  /** Announces a waiting promotion once per policy and tag: each scan finds it again until it is due. */
  promotionWaiting(waiting: PromotionWaiting): void {
    const key = `${waiting.policy}\n${waiting.tag}`;
    if (this.announcedWaiting.has(key)) return;
    this.announcedWaiting.add(key);
    const { policy, repository, tag, from } = waiting;
    for (const automation of waiting.automations) {
      this.publish({
        type: 'promotion-waiting',
        automation,
        policy,
        repository,
        tag,
        from,
        soakedSeconds: Math.floor(waiting.soakedMs / 1000),
        soakSeconds: Math.floor(waiting.soakMs / 1000),
        readyAt: new Date(waiting.readyAt).toISOString(),
      });
    }
  }

  /** Sends any event. */
  publish(event: NotificationEvent): void {
    this.notifier.publish(event);
  }

  status(): NotificationTargetStatus[] {
    return this.notifier.status();
  }

  private failed(kind: 'automation' | 'image', name: string, error: unknown): void {
    const { streak, started } = this.streaks.failed(`${kind}:${name}`, errorMessage(error));
    if (!started) return;
    this.publish({
      type: 'failure',
      automation: kind === 'automation' ? name : null,
      image: kind === 'image' ? name : null,
      error: streak.lastError,
      since: streak.since.toISOString(),
    });
  }

  private succeeded(kind: 'automation' | 'image', name: string): void {
    const streak = this.streaks.succeeded(`${kind}:${name}`);
    if (!streak) return;
    this.publish({
      type: 'recovered',
      automation: kind === 'automation' ? name : null,
      image: kind === 'image' ? name : null,
      since: streak.since.toISOString(),
      failures: streak.failures,
      lastError: streak.lastError,
    });
  }
}
