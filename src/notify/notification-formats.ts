// Every notification type, keyed by notifications[].type (STYLE: plugins in a table).
import type { NotificationConfig } from '../config/schema.js';
import { discordFormat } from './discord-format.js';
import { msteamsFormat } from './msteams-format.js';
import type { NotificationFormat } from './notification-format.js';
import { slackFormat } from './slack-format.js';
import { webhookFormat } from './webhook-format.js';

export const NOTIFICATION_FORMATS: Record<NotificationConfig['type'], NotificationFormat> = {
  slack: slackFormat,
  msteams: msteamsFormat,
  discord: discordFormat,
  webhook: webhookFormat,
};
