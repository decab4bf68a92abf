// `tagpilot serve` (SPEC §6, §7): schedules and webhooks feed scan jobs; a pick that changed feeds
// one write job per automation; the HTTP server shows the state. A valid new config (SIGHUP or a
// changed file) swaps in; an invalid one is logged and the running one stays.
import { watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pipeline } from './automation/pipeline.js';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { createQueue } from './queue/create-queue.js';
import type { JobKind, JobQueue } from './queue/job-queue.js';
import { Scheduler } from './queue/scheduler.js';
import { createApp } from './server/create-app.js';

/** How to start: where the config came from (for reloads) and what to read secrets from. */
export interface ServiceOptions {
  configPath: string;
  env?: NodeJS.ProcessEnv;
  /** Reload when a config file changes (SIGHUP always reloads via reload()). */
  watchConfig?: boolean;
}

/** A running service. */
export class Service {
  private pipelineNow: Pipeline;
  private scheduler: Scheduler;
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly startedAt = new Date();
  /** The config files in force (they change on reload), for status. */
  private files: string[];

  private constructor(
    loaded: LoadedConfig,
    private readonly options: ServiceOptions,
    private readonly log: Logger,
    readonly queue: JobQueue,
    readonly metrics: Metrics,
    private server: Server | null = null,
  ) {
    this.pipelineNow = new Pipeline(loaded.config, log, { metrics, env: options.env });
    this.files = loaded.files;
    this.scheduler = this.makeScheduler();
  }

  /** Starts queue workers, schedules, the start-up pass and the HTTP server. */
  static async start(loaded: LoadedConfig, options: ServiceOptions, log: Logger): Promise<Service> {
    const metrics = new Metrics();
    const queue = await createQueue(loaded.config.queue, log.child({ stage: 'queue' }));
    const service = new Service(loaded, options, log, queue, metrics);
    await queue.start({
      scan: (image) => service.scan(image),
      write: (automation) => service.write(automation),
    });
    metrics.queueDepthSource = () => queue.depth();
    service.scheduler.start();
    await service.startupPass();
    const app = createApp({
      pipeline: () => service.pipelineNow,
      queue,
      metrics,
      log,
      trigger: (kind, name) => service.trigger(kind, name),
      status: {
        startedAt: service.startedAt,
        get configFiles() {
          return service.files;
        },
        nextScan: (image) => service.scheduler.nextRun(`scan:${image}`),
      },
    });
    service.server = await listen(app, loaded.config.server.host, loaded.config.server.port);
    const url = serviceUrl(loaded.config.server.host, service.port);
    // The one line a person starting tagpilot looks for: where to point a browser, and which config is in force.
    log.info({ host: loaded.config.server.host, port: service.port, url, config: loaded.files }, `serving ${url} with config ${loaded.files.join(', ')}`);
    if (options.watchConfig) service.watch(loaded.files);
    return service;
  }

  /** The port the HTTP server listens on (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The pipeline of the config in force. */
  get pipeline(): Pipeline {
    return this.pipelineNow;
  }

  private async scan(image: string): Promise<void> {
    const pipeline = this.pipelineNow;
    if (!pipeline.images.has(image)) return; // removed by a reload while queued
    const { changed, failure } = await pipeline.scanImage(image);
    const automations = new Set(changed.flatMap((policy) => pipeline.automationsUsing(policy)));
    for (const automation of automations) await this.queue.add('write', automation);
    if (failure) throw failure; // the queue retries what is transient
  }

  private async write(automation: string): Promise<void> {
    const pipeline = this.pipelineNow;
    if (!pipeline.automations.has(automation)) return;
    // Another replica may have run the scan that queued this job, so its picks are not ours: ask
    // the registry again. In one process the scan that queued it just ran here.
    if (this.queue.shared) await pipeline.scanImagesOf(automation);
    await pipeline.runAutomation(automation);
  }

  /** Queues a scan or run now (API triggers, webhooks); false when the name is unknown. */
  async trigger(kind: JobKind, name: string): Promise<boolean> {
    const known = kind === 'scan' ? this.pipelineNow.images.has(name) : this.pipelineNow.automations.has(name);
    if (!known || this.stopping) return false;
    await this.queue.add(kind, name);
    return true;
  }

  private makeScheduler(): Scheduler {
    const { config } = this.pipelineNow;
    const entries = [
      ...config.images.map((i) => ({ key: `scan:${i.name}`, intervalMs: i.interval })),
      ...config.automations.map((a) => ({ key: `write:${a.name}`, intervalMs: a.interval })),
    ];
    const intervals = new Map(entries.map((e) => [e.key, e.intervalMs]));
    return new Scheduler(entries, (key) => {
      const colon = key.indexOf(':');
      void this.queue
        .addScheduled(key.slice(0, colon) as JobKind, key.slice(colon + 1), intervals.get(key)!)
        .catch((err: unknown) => this.log.error({ err: errorMessage(err), key }, 'cannot queue a scheduled job'));
    });
  }

  /** A pass at start-up (and after a reload), so nothing waits a whole interval to catch up. */
  private async startupPass(): Promise<void> {
    for (const image of this.pipelineNow.config.images) await this.queue.add('scan', image.name);
  }

  /** Loads the config again; swaps it in if valid. Returns the problems when it is not. */
  async reload(): Promise<{ ok: true } | { ok: false; problems: string }> {
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(this.options.configPath, this.options.env ?? process.env);
    } catch (err) {
      this.log.error({ problems: errorMessage(err) }, 'config reload rejected; the running config stays');
      return { ok: false, problems: errorMessage(err) };
    }
    const previous = this.pipelineNow;
    const next = new Pipeline(loaded.config, this.log, { metrics: this.metrics, env: this.options.env });
    next.adoptStatus(previous);
    for (const key of ['queue', 'server', 'stateDir'] as const) {
      if (JSON.stringify(previous.config[key]) !== JSON.stringify(loaded.config[key])) {
        this.log.warn({ key }, `config reload: a change to ${key} takes effect after a restart`);
      }
    }
    await this.scheduler.stop();
    this.pipelineNow = next;
    this.files = loaded.files;
    this.scheduler = this.makeScheduler();
    this.scheduler.start();
    await this.startupPass();
    this.log.info({ files: loaded.files }, 'config reloaded');
    return { ok: true };
  }

  private watch(files: string[]): void {
    for (const file of files) {
      try {
        // Editors replace files (rename), so watch and debounce rather than trusting one event.
        this.watchers.push(
          watch(file, () => {
            if (this.reloadTimer) clearTimeout(this.reloadTimer);
            this.reloadTimer = setTimeout(() => void this.reload(), 300);
          }),
        );
      } catch (err) {
        this.log.warn({ file, err: errorMessage(err) }, 'cannot watch config file; reload with SIGHUP');
      }
    }
  }

  /** Stops intake (server, schedules), waits for the running jobs, and closes the queue. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping');
    for (const w of this.watchers) w.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    await this.scheduler.stop();
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    await this.queue.close();
    this.log.info('stopped');
  }
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** Where a browser on this machine reaches the server: a wildcard address is shown as localhost. */
export function serviceUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}
