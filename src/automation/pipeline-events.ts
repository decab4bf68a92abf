// What the pipeline tells an observer (notifications) as it goes; every call returns at once.
import type { NotificationTargetStatus } from '../notify/notifier.js';
import type { AutomationResult } from './run-automation.js';

/** Told of each automation run and image scan outcome; must not throw or block. */
export interface PipelineEvents {
  automationRan(automation: string, result: AutomationResult): void;
  automationFailed(automation: string, error: unknown): void;
  /** `failure` is null when the scan (listing and every policy evaluation) succeeded. */
  imageScanned(image: string, failure: unknown): void;
  /** Delivery status of the observer's targets, for /api/v1/status. */
  status(): NotificationTargetStatus[];
}
