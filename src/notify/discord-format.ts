// Discord webhooks: `content` plus one embed (https://discord.com/developers/docs/resources/webhook).
// allowed_mentions is empty so an error message containing @everyone pings nobody.
import { summarizeEvent } from './event-summary.js';
import type { NotificationFormat } from './notification-format.js';

export const discordFormat: NotificationFormat = {
  render(event, { at }) {
    const s = summarizeEvent(event);
    const body = {
      content: s.title.slice(0, 2000),
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: s.title.slice(0, 256),
          description: s.lines.join('\n').slice(0, 4096),
          color: parseInt(s.color, 16),
          ...(s.link ? { url: s.link.url } : {}),
          footer: { text: `tagpilot · ${event.type}` },
          timestamp: at.toISOString(),
        },
      ],
    };
    return { body: JSON.stringify(body), headers: {} };
  },
};
