// `tagpilot serve` wires notifications: a scan failure reaches the receiver once, signed, and the
// target's delivery shows in /api/v1/status and /metrics.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import { getFreePort } from '../helpers/free-port.js';
import { startNotificationReceiver, type NotificationReceiver } from '../helpers/notification-receiver.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

describe('serve with notifications', () => {
  let receiver: NotificationReceiver;
  let dir: string;
  let service: Service | undefined;
  before(async () => {
    [receiver, dir] = await Promise.all([startNotificationReceiver(), makeTempDir('serve-notify')]);
  });
  after(async () => {
    await service?.stop();
    await receiver?.close();
    if (dir) await removeTempDir(dir);
  });

  it('announces a failing image scan once and shows the delivery in status and metrics', async () => {
    const downRegistry = `127.0.0.1:${await getFreePort()}`;
    const configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${downRegistry}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
registries: [{ host: "${downRegistry}", insecure: true }]
notifications: [{ name: ops, type: webhook, urlEnv: OPS_URL, secretEnv: OPS_KEY }]
server: { host: 127.0.0.1, port: 0 }
stateDir: ${join(dir, 'state')}
`,
    );
    const env = { ...process.env, OPS_URL: `${receiver.url}/ops`, OPS_KEY: 'ops-key' };
    service = await Service.start(await loadConfig(configPath, env), { configPath, env }, createLogger('silent'));
    const base = `http://127.0.0.1:${service.port}`;

    await waitFor('the failure notification', async () => receiver.received.length > 0);
    const [first] = receiver.received;
    const body = first!.json as Record<string, unknown>;
    assert.equal(body.event, 'failure');
    assert.equal(body.image, 'app');
    assert.equal(body.automation, null);
    assert.match(String(body.error), /ECONNREFUSED/);
    assert.equal(first!.headers['x-tagpilot-signature'], `sha256=${createHmac('sha256', 'ops-key').update(first!.raw).digest('hex')}`);

    await waitFor('status to show the delivery', async () => {
      const status = (await (await fetch(`${base}/api/v1/status`)).json()) as { notifications: Array<{ name: string; delivered: number }> };
      return status.notifications.some((n) => n.name === 'ops' && n.delivered === 1);
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /tagpilot_notifications_total\{notification="ops",event="failure",result="delivered"\} 1/);
    // Another failed scan continues the streak: still one message.
    const scans = () => service!.pipeline.images.get('app')!.lastScan?.getTime() ?? 0;
    const before = scans();
    assert.equal(await service.trigger('scan', 'app'), true);
    await waitFor('another scan', async () => scans() > before);
    await waitFor('the notification queue to empty', async () => service!.pipeline.events!.status()[0]!.pending === 0);
    assert.equal(receiver.received.length, 1);
  });
});
