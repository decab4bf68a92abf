// Notifications from a real run: a real registry and git server, the pipeline commits, and the chat and
// webhook receivers get the commit (and later the hold) while a dead and a hanging endpoint do not delay it.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Pipeline } from '../../src/automation/pipeline.js';
import { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { createNotifications } from '../../src/notify/create-notifications.js';
import type { Notifications } from '../../src/notify/notifications.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { statusReport } from '../../src/server/status-report.js';
import { getFreePort } from '../helpers/free-port.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startNotificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

describe('notifications from a real automation run', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let receiver: NotificationReceiver;
  let dir: string;
  let notifications: Notifications;
  let logged = '';
  const line = (host: string, tag: string) => `image: ${host}/acme/app:${tag} # {"$imagepolicy": "app"}\n`;

  before(async () => {
    [registry, gitServer, receiver, dir] = await Promise.all([startRegistry(), startGitServer(), startNotificationReceiver(), makeTempDir('notify-flow')]);
  });
  after(async () => {
    notifications?.notifier.close();
    await Promise.all([registry?.stop(), gitServer?.stop(), receiver?.close()]);
    if (dir) await removeTempDir(dir);
  });

  it('sends the commit at once, a hold once, and a dead or hanging endpoint neither delays nor fails the commit', async () => {
    const url = await gitServer.createRepo('fleet', { 'app.yaml': line(registry.host, '1.0.0') });
    await registry.pushImage('acme/app', '1.0.0');
    await registry.pushImage('acme/app', '1.1.0');
    const deadPort = await getFreePort();
    receiver.answer('/hang', 'hang');
    const config = Config.parse({
      images: [{ name: 'app', repository: `${registry.host}/acme/app`, interval: 0 }],
      policies: [{ name: 'app', image: 'app', semver: '>=1.0.0' }],
      automations: [{ name: 'fleet', git: { url } }],
      registries: [{ host: registry.host, insecure: true }],
      notifications: [
        { name: 'hang', type: 'webhook', url: `${receiver.url}/hang` },
        { name: 'dead', type: 'discord', url: `http://127.0.0.1:${deadPort}/api/webhooks/1/SECRETTOKEN` },
        { name: 'chat', type: 'slack', url: `${receiver.url}/services/T1/B1/SLACKSECRET`, events: ['commit', 'held'] },
      ],
      stateDir: join(dir, 'state'),
    });
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) });
    const log = createLogger('debug', sink);
    const metrics = new Metrics();
    // The hanging endpoint is given a minute per try, far longer than the whole run takes.
    notifications = createNotifications(config.notifications, log, metrics, { attempts: 2, baseDelayMs: 10, timeoutMs: 60_000 });
    const pipeline = new Pipeline(config, log, { registry: new RegistryClient(config.registries), metrics, events: notifications });

    await pipeline.scanImage('app');
    const result = await pipeline.runAutomation('fleet');
    assert.ok(result.commit, 'committed');
    const [pushed] = await gitServer.log('fleet', 'main');
    assert.equal(pushed!.sha, result.commit);
    const hang = () => notifications.status().find((s) => s.name === 'hang')!;
    assert.equal(hang().pending, 1, 'the commit notification was queued, not sent inline');

    await waitFor('the slack commit message', async () => receiver.received.some((r) => r.path.startsWith('/services/')));
    const slack = receiver.received.find((r) => r.path.startsWith('/services/'))!.json as { text: string; blocks: Array<{ text?: { text: string } }> };
    assert.equal(slack.text, `fleet: ${result.subject}`);
    assert.match(slack.blocks[1]!.text!.text, new RegExp(`Pushed ${result.commit!.slice(0, 12)} to main\\napp: .*acme/app 1\\.0\\.0 → 1\\.1\\.0 \\(app\\.yaml\\)`));
    await waitFor('the hanging endpoint to hold the request', async () => receiver.hanging === 1);
    assert.equal(hang().delivered, 0, 'still hanging after the commit was pushed');
    await waitFor('the dead endpoint to give up', async () => notifications.status().find((s) => s.name === 'dead')!.failed === 1);
    // The receiver has the request before the notifier has read its answer: wait for that too.
    await waitFor('the chat answer to be read', async () => notifications.status().find((s) => s.name === 'chat')!.delivered === 1);

    const status = statusReport(pipeline, { startedAt: new Date(), configFiles: [], nextScan: () => null }).notifications;
    const dead = status.find((s) => s.name === 'dead')!;
    assert.equal(dead.lastError, 'connection failed (ECONNREFUSED)');
    assert.equal(status.find((s) => s.name === 'chat')!.delivered, 1);

    // A person reverts the commit: the next runs hold 1.1.0 back, and say so once.
    await gitServer.commitAsHuman('fleet', 'main', { 'app.yaml': line(registry.host, '1.0.0') }, `Revert "${result.subject}"\n\nThis reverts commit ${result.commit}.\n`);
    await pipeline.runAutomation('fleet');
    await pipeline.runAutomation('fleet');
    // Both runs have published by now; once the chat queue is empty, everything it was given has arrived.
    await waitFor('the chat queue to empty', async () => notifications.status().find((s) => s.name === 'chat')!.pending === 0);
    const chat = receiver.received.filter((r) => r.path.startsWith('/services/')).map((r) => (r.json as { text: string }).text);
    assert.deepEqual(chat, [`fleet: ${result.subject}`, `fleet: ${registry.host}/acme/app:1.1.0 held back`]);

    assert.match(logged, /notification not delivered/);
    assert.doesNotMatch(logged, /SECRETTOKEN|SLACKSECRET/);
  });
});
