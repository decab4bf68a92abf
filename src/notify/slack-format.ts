// Slack incoming webhooks: `text` (the notification and fallback) plus Block Kit blocks
// (https://api.slack.com/messaging/webhooks).
import { summarizeEvent } from './event-summary.js';
import type { NotificationFormat } from './notification-format.js';

/** Slack's `mrkdwn` needs &, < and > escaped; nothing else is special in plain text. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const slackFormat: NotificationFormat = {
  render(event) {
    const s = summarizeEvent(event);
    const detail = s.lines.map(escape).join('\n');
    const link = s.link ? `\n<${s.link.url}|${escape(s.link.label)}>` : '';
    const body = {
      text: `${s.title}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: s.title.slice(0, 150) } },
        { type: 'section', text: { type: 'mrkdwn', text: `${detail}${link}`.slice(0, 3000) } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `tagpilot · ${event.type}` }] },
      ],
    };
    return { body: JSON.stringify(body), headers: {} };
  },
};
