// The `webhook` type: the event itself as JSON (schema in docs/notifications.md), signed with
// HMAC-SHA256 of the exact body in X-Tagpilot-Signature when a secret is set (as GitHub signs hooks).
import { createHmac } from 'node:crypto';
import type { NotificationFormat } from './notification-format.js';

/** The version of the body's schema; bumped only for a change a receiver could trip on. */
export const WEBHOOK_SCHEMA_VERSION = 1;

export const webhookFormat: NotificationFormat = {
  render(event, { id, at, secret }) {
    const { type, ...fields } = event;
    const body = JSON.stringify({ version: WEBHOOK_SCHEMA_VERSION, id, event: type, at: at.toISOString(), ...fields });
    const headers: Record<string, string> = { 'x-tagpilot-event': type, 'x-tagpilot-delivery': id };
    if (secret !== undefined) headers['x-tagpilot-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    return { body, headers };
  },
};
