// Notification delivery against a local receiver: each type's payload per event, the webhook schema and
// its HMAC, retries, dead endpoints in status and metrics, streaks, and URLs kept out of logs.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AutomationResult } from '../../src/automation/run-automation.js';
import { NotificationConfig } from '../../src/config/schema.js';
import { Metrics } from '../../src/metrics.js';
import type { NotificationEvent } from '../../src/notify/notification-event.js';
import { Notifications } from '../../src/notify/notifications.js';
import { Notifier } from '../../src/notify/notifier.js';
import { getFreePort } from '../helpers/free-port.js';
import { startNotificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';
import { RecordingLogger } from '../registry/recording-logger.js';

const FAST = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 2_000 };
const SHA = 'a'.repeat(40);

const EVENTS: Record<NotificationEvent['type'], NotificationEvent> = {
  commit: {
    type: 'commit',
    automation: 'fleet',
    commit: { sha: SHA, subject: 'Update acme/app to 1.2.0', branch: 'main' },
    changes: [{ file: 'apps/app.yaml', policy: 'app', repository: 'registry.example.com/acme/app', from: '1.1.0', to: '1.2.0' }],
    pullRequest: { url: 'https://git.example.com/acme/fleet/pull/7', number: 7, action: 'created' },
  },
  failure: { type: 'failure', automation: 'fleet', image: null, error: 'push to main refused: <protected branch>', since: '2026-01-01T00:00:00.000Z' },
  recovered: { type: 'recovered', automation: null, image: 'app', since: '2026-01-01T00:00:00.000Z', failures: 3, lastError: 'HTTP 503' },
  held: { type: 'held', automation: 'fleet', policy: 'app', repository: 'registry.example.com/acme/app', tag: '1.2.0', commit: SHA, revertedBy: 'b'.repeat(40) },
  'promotion-waiting': {
    type: 'promotion-waiting',
    automation: 'fleet-prod',
    policy: 'app-prod',
    repository: 'registry.example.com/acme/app',
    tag: '1.4.0',
    from: 'fleet-staging',
    soakedSeconds: 3 * 3600,
    soakSeconds: 24 * 3600,
    readyAt: '2026-01-02T00:00:00.000Z',
  },
};

function target(receiver: NotificationReceiver, fields: Record<string, unknown>): NotificationConfig {
  const parsed = NotificationConfig.parse({ url: `${receiver.url}/${String(fields.name)}`, ...fields });
  return parsed;
}

async function deliver(receiver: NotificationReceiver, config: NotificationConfig, events: NotificationEvent[], options = {}) {
  const log = new RecordingLogger();
  const metrics = new Metrics();
  const notifier = new Notifier([config], log, metrics, { ...FAST, ...options });
  for (const e of events) notifier.publish(e);
  assert.equal(await notifier.idle(20_000), true, 'deliveries finished');
  return { notifier, log, metrics, got: receiver.received.filter((r) => r.path === `/${config.name}`) };
}

async function counter(metrics: Metrics): Promise<string[]> {
  return (await metrics.registry.getSingleMetricAsString('tagpilot_notifications_total')).split('\n').filter((l) => !l.startsWith('#'));
}

describe('notification payloads per type', () => {
  let receiver: NotificationReceiver;
  before(async () => (receiver = await startNotificationReceiver()));
  after(async () => receiver?.close());
  const all = Object.values(EVENTS);

  it('slack: text and Block Kit blocks (header, escaped mrkdwn section with the review link)', async () => {
    const { got } = await deliver(receiver, target(receiver, { name: 'slack', type: 'slack' }), all);
    assert.equal(got.length, 5);
    const [commit, failure] = got.map((r) => r.json as { text: string; blocks: Array<{ type: string; text?: { text: string } }> });
    assert.equal(commit!.text, 'fleet: Update acme/app to 1.2.0');
    assert.deepEqual(commit!.blocks.map((b) => b.type), ['header', 'section', 'context']);
    assert.match(commit!.blocks[1]!.text!.text, /Pushed aaaaaaaaaaaa to main\napp: registry\.example\.com\/acme\/app 1\.1\.0 → 1\.2\.0 \(apps\/app\.yaml\)/);
    assert.match(commit!.blocks[1]!.text!.text, /<https:\/\/git\.example\.com\/acme\/fleet\/pull\/7\|Review request #7>$/);
    assert.equal(failure!.text, 'Automation fleet is failing');
    assert.match(failure!.blocks[1]!.text!.text, /push to main refused: &lt;protected branch&gt;\nFailing since 2026-01-01T00:00:00\.000Z/);
    assert.equal((got[2]!.json as { text: string }).text, 'Image app recovered');
    assert.equal((got[3]!.json as { text: string }).text, 'fleet: registry.example.com/acme/app:1.2.0 held back');
    assert.match(JSON.stringify(got[4]!.json), /In fleet-staging for 3h of 24h/);
    assert.equal(got[0]!.headers['content-type'], 'application/json');
  });

  it('msteams: an Adaptive Card in a message envelope, coloured by event, with an OpenUrl action for the review request', async () => {
    const { got } = await deliver(receiver, target(receiver, { name: 'teams', type: 'msteams' }), [EVENTS.commit, EVENTS.failure]);
    type Card = { type: string; attachments: Array<{ contentType: string; content: { type: string; version: string; body: Array<{ text: string; color?: string }>; actions?: unknown } }> };
    const message = got[0]!.json as Card;
    assert.equal(message.type, 'message');
    assert.equal(message.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
    const card = message.attachments[0]!.content;
    assert.equal(card.type, 'AdaptiveCard');
    assert.deepEqual(
      card.body.map((b) => b.text),
      ['fleet: Update acme/app to 1.2.0', 'Pushed aaaaaaaaaaaa to main', 'app: registry.example.com/acme/app 1.1.0 → 1.2.0 (apps/app.yaml)', 'tagpilot · commit'],
    );
    assert.equal(card.body[0]!.color, 'Good');
    assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Review request #7', url: 'https://git.example.com/acme/fleet/pull/7' }]);
    const failure = (got[1]!.json as Card).attachments[0]!.content;
    assert.equal(failure.body[0]!.color, 'Attention');
    assert.equal('actions' in failure, false);
  });

  it('discord: content and one embed, mentions disabled', async () => {
    const { got } = await deliver(receiver, target(receiver, { name: 'discord', type: 'discord' }), [EVENTS.held]);
    const body = got[0]!.json as { content: string; allowed_mentions: unknown; embeds: Array<Record<string, unknown>> };
    assert.equal(body.content, 'fleet: registry.example.com/acme/app:1.2.0 held back');
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.equal(body.embeds[0]!.color, 0xecb22e);
    assert.match(String(body.embeds[0]!.description), /reverted aaaaaaaaaaaa, which wrote it/);
  });

  it('webhook: the documented JSON, signed with HMAC-SHA256 of the exact body when a secret is set', async () => {
    const { got } = await deliver(receiver, target(receiver, { name: 'hook', type: 'webhook', secret: 's3cret' }), all);
    assert.equal(got.length, 5);
    for (const r of got) {
      assert.equal(r.headers['x-tagpilot-signature'], `sha256=${createHmac('sha256', 's3cret').update(r.raw).digest('hex')}`);
    }
    const commit = got[0]!.json as Record<string, unknown>;
    assert.match(String(commit.id), /^[0-9a-f-]{36}$/);
    assert.match(String(commit.at), /^\d{4}-\d\d-\d\dT/);
    const { type: _type, ...fields } = EVENTS.commit;
    assert.deepEqual(commit, { version: 1, id: commit.id, event: 'commit', at: commit.at, ...fields });
    assert.equal(got[0]!.headers['x-tagpilot-event'], 'commit');
    assert.deepEqual(
      got.map((r) => (r.json as { event: string }).event),
      ['commit', 'failure', 'recovered', 'held', 'promotion-waiting'],
    );
    const unsigned = await deliver(receiver, target(receiver, { name: 'plain', type: 'webhook' }), [EVENTS.failure]);
    assert.equal(unsigned.got[0]!.headers['x-tagpilot-signature'], undefined);
  });

  it('sends only the events and automations a target asks for', async () => {
    const config = target(receiver, { name: 'filtered', type: 'webhook', events: ['commit', 'failure'], automations: ['other'] });
    const imageFailure: NotificationEvent = { ...EVENTS.failure, automation: null, image: 'app' } as NotificationEvent;
    const { got } = await deliver(receiver, config, [...all, imageFailure]);
    assert.deepEqual(got.map((r) => (r.json as { event: string; image: string | null }).image), ['app'], 'only the image failure (no automation) passes');
  });
});

describe('notification delivery', () => {
  let receiver: NotificationReceiver;
  before(async () => (receiver = await startNotificationReceiver()));
  after(async () => receiver?.close());

  it('retries after a 500 and then delivers; status and metrics show it', async () => {
    receiver.answer('/flaky', 500, 200);
    const { got, notifier, metrics } = await deliver(receiver, target(receiver, { name: 'flaky', type: 'webhook' }), [EVENTS.commit]);
    assert.equal(got.length, 2);
    assert.equal(got[0]!.raw, got[1]!.raw, 'the same notification is sent again');
    const [status] = notifier.status();
    assert.equal(status!.delivered, 1);
    assert.equal(status!.lastError, null);
    assert.equal(status!.failingSince, null);
    const lines = await counter(metrics);
    assert.ok(lines.includes('tagpilot_notifications_total{notification="flaky",event="commit",result="retried"} 1'), lines.join('\n'));
    assert.ok(lines.includes('tagpilot_notifications_total{notification="flaky",event="commit",result="delivered"} 1'));
  });

  it('does not retry a refusal (404), and gives up after the bounded tries on a 503', async () => {
    receiver.answer('/gone', 404);
    const gone = await deliver(receiver, target(receiver, { name: 'gone', type: 'slack' }), [EVENTS.commit]);
    assert.equal(gone.got.length, 1);
    assert.equal(gone.notifier.status()[0]!.lastError, 'HTTP 404');
    receiver.answer('/down', 503);
    const down = await deliver(receiver, target(receiver, { name: 'down', type: 'slack' }), [EVENTS.commit]);
    assert.equal(down.got.length, FAST.attempts);
    assert.equal(down.notifier.status()[0]!.failed, 1);
  });

  it('an endpoint that refuses connections shows in status and metrics, and its URL never reaches logs or status', async () => {
    const port = await getFreePort();
    const url = `http://127.0.0.1:${port}/services/T0000/B0000/XXXXSECRETXXXX`;
    const config = NotificationConfig.parse({ name: 'dead', type: 'slack', url });
    const log = new RecordingLogger();
    const metrics = new Metrics();
    const notifier = new Notifier([config], log, metrics, FAST);
    notifier.publish(EVENTS.commit);
    assert.equal(await notifier.idle(20_000), true);
    const [status] = notifier.status();
    assert.equal(status!.failed, 1);
    assert.equal(status!.lastError, 'connection failed (ECONNREFUSED)');
    assert.match(status!.failingSince ?? '', /^\d{4}-/);
    assert.ok((await counter(metrics)).includes('tagpilot_notifications_total{notification="dead",event="commit",result="failed"} 1'));
    assert.ok(log.lines.length >= FAST.attempts, 'each failed try was logged');
    assert.doesNotMatch(log.text(), /XXXXSECRETXXXX|services\/T0000/);
    assert.doesNotMatch(JSON.stringify(notifier.status()), /XXXXSECRETXXXX/);
  });

  it('publish returns at once while an endpoint hangs; the hang times out and is retried', async () => {
    receiver.answer('/hang', 'hang');
    const config = target(receiver, { name: 'hang', type: 'webhook' });
    const notifier = new Notifier([config], new RecordingLogger(), undefined, { ...FAST, attempts: 2, timeoutMs: 300 });
    notifier.publish(EVENTS.commit);
    assert.equal(notifier.status()[0]!.pending, 1, 'queued, not sent inline');
    assert.equal(await notifier.idle(20_000), true);
    assert.equal(receiver.received.filter((r) => r.path === '/hang').length, 2);
    assert.equal(notifier.status()[0]!.lastError, 'no answer within 300 ms');
  });
});

describe('failure streaks, recoveries and holds', () => {
  let receiver: NotificationReceiver;
  before(async () => (receiver = await startNotificationReceiver()));
  after(async () => receiver?.close());

  const result = (fields: Partial<AutomationResult>): AutomationResult =>
    ({ automation: 'fleet', commit: null, subject: null, alreadyPushed: null, branch: 'main', changes: [], problems: [], heldBack: [], diffs: new Map(), pullRequest: null, pushAttempts: 1, ...fields }) as AutomationResult;

  it('sends one failure per streak, one recovered when it ends, and each hold once', async () => {
    const notifier = new Notifier([target(receiver, { name: 'streaks', type: 'webhook' })], new RecordingLogger(), undefined, FAST);
    const notifications = new Notifications(notifier);
    notifications.automationFailed('fleet', new Error('push refused'));
    notifications.automationFailed('fleet', new Error('push refused again'));
    notifications.imageScanned('app', new Error('HTTP 503'));
    notifications.imageScanned('app', new Error('HTTP 503'));
    notifications.automationFailed('fleet', new Error('push refused a third time'));
    notifications.automationRan('fleet', result({}));
    notifications.automationRan('fleet', result({}));
    notifications.imageScanned('app', null);
    notifications.imageScanned('app', null);
    const hold = { policy: 'app', repository: 'r/app', tag: '1.2.0', commit: SHA, revertedBy: 'b'.repeat(40) };
    notifications.automationRan('fleet', result({ heldBack: [hold] }));
    notifications.automationRan('fleet', result({ heldBack: [hold] }));
    notifications.automationFailed('fleet', new Error('again'));
    assert.equal(await notifier.idle(20_000), true);
    const events = receiver.received.filter((r) => r.path === '/streaks').map((r) => r.json as Record<string, unknown>);
    assert.deepEqual(
      events.map((e) => [e.event, e.automation ?? e.image]),
      [
        ['failure', 'fleet'],
        ['failure', 'app'],
        ['recovered', 'fleet'],
        ['recovered', 'app'],
        ['held', 'fleet'],
        ['failure', 'fleet'],
      ],
    );
    assert.equal(events[0]!.error, 'push refused');
    assert.equal(events[2]!.failures, 3);
    assert.equal(events[2]!.lastError, 'push refused a third time');
    assert.equal(events[2]!.since, events[0]!.since);
    assert.equal(events[4]!.tag, '1.2.0');
  });
});
