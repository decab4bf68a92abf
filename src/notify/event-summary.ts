// One human wording of each event, shared by the chat formats so Slack, Teams and Discord say the same.
import type { NotificationEvent } from './notification-event.js';

/** What a chat message shows: a title, lines of detail, a colour and an optional link. */
export interface EventSummary {
  title: string;
  lines: string[];
  /** Hex colour without '#': green for commits and recoveries, red for failures, amber for holds. */
  color: string;
  link: { label: string; url: string } | null;
}

const GREEN = '2eb67d';
const RED = 'e01e5a';
const AMBER = 'ecb22e';
const BLUE = '36c5f0';

type Summarizers = { [K in NotificationEvent['type']]: (event: Extract<NotificationEvent, { type: K }>) => EventSummary };

const SUMMARIZERS: Summarizers = {
  commit: (e) => ({
    title: `${e.automation}: ${e.commit.subject}`,
    lines: [
      `Pushed ${e.commit.sha.slice(0, 12)} to ${e.commit.branch}`,
      ...e.changes.map((c) => `${c.policy}: ${c.repository} ${c.from} → ${c.to} (${c.file})`),
    ],
    color: GREEN,
    link: e.pullRequest ? { label: `Review request #${e.pullRequest.number}`, url: e.pullRequest.url } : null,
  }),
  failure: (e) => ({
    title: `${subject(e)} is failing`,
    lines: [e.error, `Failing since ${e.since}`],
    color: RED,
    link: null,
  }),
  recovered: (e) => ({
    title: `${subject(e)} recovered`,
    lines: [`Failing since ${e.since} (${e.failures} failed ${e.failures === 1 ? 'attempt' : 'attempts'})`, `Last error: ${e.lastError}`],
    color: GREEN,
    link: null,
  }),
  held: (e) => ({
    title: `${e.automation}: ${e.repository}:${e.tag} held back`,
    lines: [`Policy ${e.policy} picks ${e.tag}, but commit ${e.revertedBy.slice(0, 12)} reverted ${e.commit.slice(0, 12)}, which wrote it; it is not written again.`],
    color: AMBER,
    link: null,
  }),
  'promotion-waiting': (e) => ({
    title: `${e.automation}: ${e.repository}:${e.tag} waits for promotion`,
    lines: [`In ${e.from} for ${hours(e.soakedSeconds)} of ${hours(e.soakSeconds)}; ready at ${e.readyAt} (policy ${e.policy})`],
    color: BLUE,
    link: null,
  }),
};

/** The wording of `event`. */
export function summarizeEvent(event: NotificationEvent): EventSummary {
  return (SUMMARIZERS[event.type] as (e: NotificationEvent) => EventSummary)(event);
}

function subject(e: { automation: string | null; image: string | null }): string {
  return e.automation !== null ? `Automation ${e.automation}` : `Image ${e.image ?? '?'}`;
}

function hours(seconds: number): string {
  return seconds < 3600 ? `${Math.floor(seconds / 60)}m` : `${Math.floor(seconds / 3600)}h`;
}
