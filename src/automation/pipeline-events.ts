// What the pipeline tells an observer (notifications) as it goes; every call returns at once.
import type { NotificationTargetStatus } from '../notify/notifier.js';
import type { AutomationResult } from './run-automation.js';

/** Told of each automation run and image scan outcome; must not throw or block. */
export interface PipelineEvents {
  automationRan(automation: string, result: AutomationResult): void;
  automationFailed(automation: string, error: unknown): void;
  /** `failure` is null when the scan (listing and every policy evaluation) succeeded. */
  imageScanned(image: string, failure: unknown): void;
  /** A tag that a promotion policy's rule would prefer is still soaking in its source (SPEC §2). */
  promotionWaiting(waiting: PromotionWaiting): void;
  /** Delivery status of the observer's targets, for /api/v1/status. */
  status(): NotificationTargetStatus[];
}

/** One tag waiting to be promoted, for the automations that would write it. */
export interface PromotionWaiting {
  policy: string;
  repository: string;
  tag: string;
  from: string;
  automations: string[];
  soakedMs: number;
  soakMs: number;
  /** When it becomes a candidate (ms since the epoch). */
  readyAt: number;
}
