// Microsoft Teams: an Adaptive Card in a message envelope, the form both Workflows ("when a Teams
// webhook request is received", which replaces Office 365 connectors) and the older incoming
// webhooks accept (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using).
import { summarizeEvent, type Tone } from './event-summary.js';
import type { NotificationFormat } from './notification-format.js';

/** Adaptive Card TextBlock colours for each tone. */
const TEXT_COLORS: Record<Tone, string> = { good: 'Good', attention: 'Attention', warning: 'Warning', accent: 'Accent' };

export const msteamsFormat: NotificationFormat = {
  render(event) {
    const s = summarizeEvent(event);
    const card = {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
      msteams: { width: 'Full' },
      body: [
        { type: 'TextBlock', text: s.title, weight: 'Bolder', size: 'Medium', color: TEXT_COLORS[s.tone], wrap: true },
        ...s.lines.map((text) => ({ type: 'TextBlock', text, wrap: true })),
        { type: 'TextBlock', text: `tagpilot · ${event.type}`, isSubtle: true, size: 'Small', wrap: true },
      ],
      ...(s.link ? { actions: [{ type: 'Action.OpenUrl', title: s.link.label, url: s.link.url }] } : {}),
    };
    const body = { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
    return { body: JSON.stringify(body), headers: {} };
  },
};
