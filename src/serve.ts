// `tagpilot serve`: schedules and (later) webhooks feed scan jobs; a pick that changed feeds one
// write job per automation; the HTTP server shows the state. Runs until stop() (SIGTERM).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pipeline } from './automation/pipeline.js';
import type { Config } from './config/schema.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { InProcessQueue } from './queue/in-process-queue.js';
import type { JobQueue } from './queue/job-queue.js';
import { Scheduler } from './queue/scheduler.js';
import { createApp } from './server/create-app.js';

/** A running service. */
export interface Service {
  /** The port the HTTP server listens on (useful with port 0). */
  port: number;
  pipeline: Pipeline;
  queue: JobQueue;
  /** Stops intake, waits for running jobs, closes the server. */
  stop(): Promise<void>;
}

/** Starts the service for a loaded config. */
export async function startService(config: Config, log: Logger): Promise<Service> {
  const pipeline = new Pipeline(config, log);
  const queue: JobQueue = new InProcessQueue({ log: log.child({ stage: 'queue' }) });

  await queue.start({
    scan: async (image) => {
      const changed = await pipeline.scanImage(image);
      const automations = new Set(changed.flatMap((policy) => pipeline.automationsUsing(policy)));
      for (const automation of automations) await queue.add('write', automation);
    },
    write: async (automation) => {
      await pipeline.runAutomation(automation);
    },
  });

  const schedule = [
    ...config.images.map((i) => ({ key: `scan:${i.name}`, intervalMs: i.interval })),
    ...config.automations.map((a) => ({ key: `write:${a.name}`, intervalMs: a.interval })),
  ];
  const scheduler = new Scheduler(schedule, (key) => {
    const [kind, name] = splitKey(key);
    void queue.add(kind, name).catch((err: unknown) => log.error({ err: errorMessage(err), key }, 'cannot queue job'));
  });
  scheduler.start();
  // A pass at start-up, so a restart does not wait a whole interval to catch up.
  for (const image of config.images) await queue.add('scan', image.name);

  const app = createApp({ pipeline: () => pipeline, queue });
  const server = await listen(app, config.server.host, config.server.port);
  const port = (server.address() as AddressInfo).port;
  log.info({ host: config.server.host, port }, 'serving');

  return {
    port,
    pipeline,
    queue,
    async stop() {
      log.info('stopping');
      await scheduler.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
    },
  };
}

function splitKey(key: string): ['scan' | 'write', string] {
  const colon = key.indexOf(':');
  return [key.slice(0, colon) as 'scan' | 'write', key.slice(colon + 1)];
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
