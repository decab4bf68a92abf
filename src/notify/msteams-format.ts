// Microsoft Teams incoming webhooks (and Power Automate "post to a channel when a webhook request is
// received" flows) accept the legacy MessageCard; it renders in every Teams client.
import { summarizeEvent } from './event-summary.js';
import type { NotificationFormat } from './notification-format.js';

export const msteamsFormat: NotificationFormat = {
  render(event) {
    const s = summarizeEvent(event);
    const body = {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: s.title,
      themeColor: s.color,
      title: s.title,
      sections: [{ activitySubtitle: `tagpilot · ${event.type}`, text: s.lines.join('\n\n') }],
      ...(s.link ? { potentialAction: [{ '@type': 'OpenUri', name: s.link.label, targets: [{ os: 'default', uri: s.link.url }] }] } : {}),
    };
    return { body: JSON.stringify(body), headers: {} };
  },
};
