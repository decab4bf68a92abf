// The composition root's one call: the notifier for a config's notifications[], wrapped as pipeline events.
import type { NotificationConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { Notifications } from './notifications.js';
import { Notifier, type NotifierOptions } from './notifier.js';

/** How long a one-shot command or a stopping service waits for notifications still in flight. */
export const NOTIFY_DRAIN_MS = 15_000;

/** Notifications for `targets` (none configured: a sink that sends nothing). */
export function createNotifications(
  targets: readonly NotificationConfig[],
  log: Logger,
  metrics?: Metrics,
  options: Partial<NotifierOptions> = {},
): Notifications {
  return new Notifications(new Notifier(targets, log.child({ stage: 'notify' }), metrics, options));
}
