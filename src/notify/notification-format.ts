// How a notification type turns an event into an HTTP request body (one file per type, in a table).
import type { NotificationEvent } from './notification-event.js';

/** The request to POST: a JSON body and extra headers. */
export interface RenderedNotification {
  body: string;
  headers: Record<string, string>;
}

/** One notification type. `secret` is set only for types that sign (webhook). */
export interface NotificationFormat {
  render(event: NotificationEvent, context: { id: string; at: Date; secret: string | undefined }): RenderedNotification;
}
