// One human wording of each event, shared by the chat formats so Slack, Teams and Discord say the same.
import type { NotificationEvent } from './notification-event.js';

/** How an event feels: good (commit, recovered), attention (failure), warning (held), accent (waiting). */
export type Tone = 'good' | 'attention' | 'warning' | 'accent';

/** What a chat message shows: a title, lines of detail, a tone and an optional link. */
export interface EventSummary {
  title: string;
  lines: string[];
  tone: Tone;
  /** The tone as a hex colour without '#', for formats that take one. */
  color: string;
  link: { label: string; url: string } | null;
}

const COLORS: Record<Tone, string> = { good: '2eb67d', attention: 'e01e5a', warning: 'ecb22e', accent: '36c5f0' };

type Wording = Omit<EventSummary, 'color'>;
type Summarizers = { [K in NotificationEvent['type']]: (event: Extract<NotificationEvent, { type: K }>) => Wording };

const SUMMARIZERS: Summarizers = {
  commit: (e) => ({
    title: `${e.automation}: ${e.commit.subject}`,
    lines: [
      `Pushed ${e.commit.sha.slice(0, 12)} to ${e.commit.branch}`,
      ...e.changes.map((c) => `${c.policy}: ${c.repository} ${c.from} → ${c.to} (${c.file})`),
    ],
    tone: 'good',
    link: e.pullRequest ? { label: `Review request #${e.pullRequest.number}`, url: e.pullRequest.url } : null,
  }),
  failure: (e) => ({
    title: `${subject(e)} is failing`,
    lines: [e.error, `Failing since ${e.since}`],
    tone: 'attention',
    link: null,
  }),
  recovered: (e) => ({
    title: `${subject(e)} recovered`,
    lines: [`Failing since ${e.since} (${e.failures} failed ${e.failures === 1 ? 'attempt' : 'attempts'})`, `Last error: ${e.lastError}`],
    tone: 'good',
    link: null,
  }),
  held: (e) => ({
    title: `${e.automation}: ${e.repository}:${e.tag} held back`,
    lines: [`Policy ${e.policy} picks ${e.tag}, but commit ${e.revertedBy.slice(0, 12)} reverted ${e.commit.slice(0, 12)}, which wrote it; it is not written again.`],
    tone: 'warning',
    link: null,
  }),
  'promotion-waiting': (e) => ({
    title: `${e.automation}: ${e.repository}:${e.tag} waits for promotion`,
    lines: [`In ${e.from} for ${hours(e.soakedSeconds)} of ${hours(e.soakSeconds)}; ready at ${e.readyAt} (policy ${e.policy})`],
    tone: 'accent',
    link: null,
  }),
};

/** The wording of `event`. */
export function summarizeEvent(event: NotificationEvent): EventSummary {
  const wording = (SUMMARIZERS[event.type] as (e: NotificationEvent) => Wording)(event);
  return { ...wording, color: COLORS[wording.tone] };
}

function subject(e: { automation: string | null; image: string | null }): string {
  return e.automation !== null ? `Automation ${e.automation}` : `Image ${e.image ?? '?'}`;
}

function hours(seconds: number): string {
  return seconds < 3600 ? `${Math.floor(seconds / 60)}m` : `${Math.floor(seconds / 3600)}h`;
}
