// `tagpilot serve` (SPEC §6, §7): schedules and webhooks feed scan jobs; a pick that changed feeds
// one write job per automation; the HTTP server shows the state. A valid new config (SIGHUP or a
// changed file) swaps in; an invalid one is logged and the running one stays.
import { watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pipeline } from './automation/pipeline.js';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { errorMessage } from './errors.js';
import type { GitHttpTimeouts } from './git/git-http-client.js';
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
  /** How long start() waits for the queue before returning with it still connecting; default QUEUE_START_WAIT_MS. */
  queueStartWaitMs?: number;
  /** Limits of each request to a git server; tests shorten them. */
  gitTimeouts?: Partial<GitHttpTimeouts>;
  /** How long stop() lets running jobs finish before it abandons their git requests; default DRAIN_GRACE_MS. */
  drainGraceMs?: number;
}

/**
 * stop() waits this long for running jobs, then ends their git requests: a remote that accepted the
 * connection and never answers must not hold SIGTERM past the 10 s a deployment grants. A write cut
 * short is run again (the next start, or another replica); committing it twice is impossible.
 */
export const DRAIN_GRACE_MS = 5_000;

/**
 * start() returns once the queue runs, or after this long with the queue still connecting (Redis
 * down): the HTTP server answers from the first moment either way, so probes see a live process
 * that is not ready yet instead of restarting it in a loop.
 */
export const QUEUE_START_WAIT_MS = 2_000;

/** A running service. */
export class Service {
  private pipelineNow: Pipeline;
  private scheduler: Scheduler;
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Set once the queue's workers run: schedules, the start-up pass and intake wait for it. */
  private queueRunning = false;
  /** Aborted when stop() stops waiting for running jobs: their git requests end at once. */
  private readonly abandonGit = new AbortController();

  private constructor(
    loaded: LoadedConfig,
    private readonly options: ServiceOptions,
    private readonly log: Logger,
    readonly queue: JobQueue,
    readonly metrics: Metrics,
    private server: Server | null = null,
  ) {
    this.pipelineNow = new Pipeline(loaded.config, log, this.pipelineOptions());
    this.scheduler = this.makeScheduler();
  }

  /**
   * Starts the HTTP server, then the queue workers, schedules and the start-up pass. Returns once
   * those run, or after queueStartWaitMs while the queue keeps connecting in the background.
   */
  static async start(loaded: LoadedConfig, options: ServiceOptions, log: Logger): Promise<Service> {
    const metrics = new Metrics();
    const queue = await createQueue(loaded.config.queue, log.child({ stage: 'queue' }));
    const service = new Service(loaded, options, log, queue, metrics);
    metrics.queueDepthSource = () => queue.depth();
    const app = createApp({
      pipeline: () => service.pipelineNow,
      metrics,
      log,
      trigger: (kind, name) => service.trigger(kind, name),
      accepting: async () => service.queueRunning && !service.stopping && (await queue.ready()),
    });
    service.server = await listen(app, loaded.config.server.host, loaded.config.server.port);
    log.info({ host: loaded.config.server.host, port: service.port }, 'serving');
    if (options.watchConfig) service.watch(loaded.files);
    const started = service.startQueue();
    if (!(await settlesWithin(started, options.queueStartWaitMs ?? QUEUE_START_WAIT_MS))) {
      log.warn('job queue unreachable; serving, and answering 503 to webhooks and triggers until it connects');
    }
    return service;
  }

  /** Starts the workers (waiting as long as Redis takes to come up), then schedules and the start-up pass. */
  private async startQueue(): Promise<void> {
    try {
      await this.queue.start({
        scan: (image) => this.scan(image),
        write: (automation) => this.write(automation),
      });
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'job queue failed to start');
      return;
    }
    if (this.stopping) return;
    this.queueRunning = true;
    this.log.info('job queue running');
    this.scheduler.start();
    await this.startupPass().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'cannot queue the start-up scans'));
  }

  private pipelineOptions(): ConstructorParameters<typeof Pipeline>[2] {
    return { metrics: this.metrics, env: this.options.env, gitHttp: { timeouts: this.options.gitTimeouts, signal: this.abandonGit.signal } };
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
    const next = new Pipeline(loaded.config, this.log, this.pipelineOptions());
    next.adoptStatus(previous);
    for (const key of ['queue', 'server', 'stateDir'] as const) {
      if (JSON.stringify(previous.config[key]) !== JSON.stringify(loaded.config[key])) {
        this.log.warn({ key }, `config reload: a change to ${key} takes effect after a restart`);
      }
    }
    await this.scheduler.stop();
    this.pipelineNow = next;
    this.scheduler = this.makeScheduler();
    // Before the queue runs, its start does both with the config in force then.
    if (this.queueRunning) {
      this.scheduler.start();
      await this.startupPass();
    }
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

  /** Stops intake (server, schedules), waits for the running jobs (for DRAIN_GRACE_MS, then ends their git requests), and closes the queue. */
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
    const closed = this.queue.close();
    if (!(await settlesWithin(closed, this.options.drainGraceMs ?? DRAIN_GRACE_MS))) {
      this.log.warn('jobs still running after the drain grace; abandoning their git requests');
      this.abandonGit.abort(new Error('the service is stopping'));
    }
    await closed;
    this.log.info('stopped');
  }
}

/** True if `promise` settles (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}
