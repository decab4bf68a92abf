// `tagpilot serve` (SPEC §6, §7): schedules and webhooks feed scan jobs; a pick that changed feeds
// one write job per automation; the HTTP server shows the state. A valid new config (SIGHUP or a
// changed file) swaps in; an invalid one is logged and the running one stays.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pipeline } from './automation/pipeline.js';
import { loadConfig, type LoadedConfig } from './config/load-config.js';
import { watchConfig, type ConfigWatch } from './config/watch-config.js';
import { errorMessage, InputError } from './errors.js';
import type { GitHttpTimeouts } from './git/git-http-client.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { createNotifications, NOTIFY_DRAIN_MS } from './notify/create-notifications.js';
import type { Notifications } from './notify/notifications.js';
import { createQueue } from './queue/create-queue.js';
import { createStateStore, type StateStore } from './state/state-store.js';
import type { JobKind, JobQueue } from './queue/job-queue.js';
import { Scheduler } from './queue/scheduler.js';
import { PromotionTimers, promotionDueTimes } from './promotion/promotion-timers.js';
import { createApp } from './server/create-app.js';
import { settlesWithin } from './settles-within.js';

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
  /** How long a tag a push notification named is waited for; default NOTIFIED_TAG_WAIT_MS (pipeline.ts). */
  notifiedTagWaitMs?: number;
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

/** What a reload did: swapped the config in, or kept the running one for these problems. */
export type ReloadResult = { ok: true } | { ok: false; problems: string };

/** A running service. */
export class Service {
  private pipelineNow: Pipeline;
  private scheduler: Scheduler;
  private configWatch: ConfigWatch | null = null;
  /** Reloads run one after another: this settles when the last one asked for has finished. */
  private reloadTail: Promise<unknown> = Promise.resolve();
  /** A reload asked for while another runs; later requests join it, so a burst makes one more. */
  private nextReload: Promise<ReloadResult> | null = null;
  private stopping = false;
  /** Set once the queue's workers run: schedules, the start-up pass and intake wait for it. */
  private queueRunning = false;
  /** Aborted when stop() stops waiting for running jobs: their git requests end at once. */
  private readonly abandonGit = new AbortController();
  /** Kept across reloads, so failure streaks and deliveries in flight survive them. */
  private readonly notifications: Notifications;
  private readonly startedAt = new Date();
  /** The config files in force (they change on reload), for status. */
  private files: string[];
  /** Scans an image again when a promotion waiting on it is due (SPEC §2). */
  private readonly promotionTimers = new PromotionTimers((image) => {
    void this.trigger('scan', image).catch((err: unknown) => this.log.error({ err: errorMessage(err), image }, 'cannot queue a promotion scan'));
  });

  private constructor(
    loaded: LoadedConfig,
    private readonly options: ServiceOptions,
    private readonly log: Logger,
    readonly queue: JobQueue,
    readonly metrics: Metrics,
    /** Picks, scans, runs and branch records: shared by every replica when the queue is in Redis. */
    private readonly state: StateStore,
    private server: Server | null = null,
  ) {
    this.notifications = createNotifications(loaded.config.notifications, log, metrics);
    this.pipelineNow = new Pipeline(loaded.config, log, this.pipelineOptions());
    this.files = loaded.files;
    this.scheduler = this.makeScheduler();
  }

  /**
   * Starts the HTTP server, then the queue workers, schedules and the start-up pass. Returns once
   * those run, or after queueStartWaitMs while the queue keeps connecting in the background.
   */
  static async start(loaded: LoadedConfig, options: ServiceOptions, log: Logger): Promise<Service> {
    const metrics = new Metrics();
    const queue = await createQueue(loaded.config.queue, log.child({ stage: 'queue' }));
    const state = await createStateStore({ stateDir: loaded.config.stateDir, redisUrl: loaded.config.queue.redisUrl });
    const service = new Service(loaded, options, log, queue, metrics, state);
    metrics.queueDepthSource = () => queue.depth();
    const app = createApp({
      pipeline: () => service.pipelineNow,
      metrics,
      log,
      trigger: (kind, name) => service.trigger(kind, name),
      accepting: async () => service.queueRunning && !service.stopping && (await queue.ready()),
      status: {
        startedAt: service.startedAt,
        get configFiles() {
          return service.files;
        },
        nextScan: (image) => service.scheduler.nextRun(`scan:${image}`),
      },
    });
    try {
      service.server = await listen(app, loaded.config.server.host, loaded.config.server.port);
    } catch (err) {
      // The queue may be connecting to a Redis that is down and would keep the process alive for ever.
      await Promise.allSettled([queue.close(), state.close()]);
      throw listenError(err, loaded.config.server.host, loaded.config.server.port);
    }
    const url = serviceUrl(loaded.config.server.host, service.port);
    // The one line a person starting tagpilot looks for: where to point a browser, and which config is in force.
    log.info({ host: loaded.config.server.host, port: service.port, url, config: loaded.files }, `serving ${url} with config ${loaded.files.join(', ')}`);
    if (options.watchConfig) service.configWatch = watchConfig(options.configPath, () => void service.reload(), log);
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
    return {
      metrics: this.metrics,
      env: this.options.env,
      gitHttp: { timeouts: this.options.gitTimeouts, signal: this.abandonGit.signal },
      state: this.state,
      events: this.notifications,
      ...(this.options.notifiedTagWaitMs === undefined ? {} : { notifiedTagWaitMs: this.options.notifiedTagWaitMs }),
    };
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
    const { writesDue, failure } = await pipeline.scanImage(image);
    this.promotionTimers.arm(image, promotionDueTimes(pipeline, image));
    for (const automation of writesDue) await this.queue.add('write', automation);
    if (failure) throw failure; // the queue retries what is transient
  }

  private async write(automation: string): Promise<void> {
    const pipeline = this.pipelineNow;
    if (!pipeline.automations.has(automation)) return;
    // The picks come from the state store, whichever replica scanned; stale ones fail the job as
    // transient, and the queue tries again.
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

  /**
   * Loads the config again; swaps it in if valid. Returns the problems when it is not. Reloads never
   * overlap (two would each start a scheduler): one asked for during another runs after it, once.
   */
  reload(): Promise<ReloadResult> {
    if (this.nextReload) return this.nextReload;
    const next = this.reloadTail.then(async (): Promise<ReloadResult> => {
      this.nextReload = null;
      try {
        return await this.reloadNow();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'config reload failed; the running config stays');
        return { ok: false, problems: errorMessage(err) };
      }
    });
    this.nextReload = next;
    this.reloadTail = next;
    return next;
  }

  private async reloadNow(): Promise<ReloadResult> {
    if (this.stopping) return { ok: false, problems: 'the service is stopping' };
    let loaded: LoadedConfig;
    try {
      loaded = await loadConfig(this.options.configPath, this.options.env ?? process.env);
    } catch (err) {
      this.log.error({ problems: errorMessage(err) }, 'config reload rejected; the running config stays');
      return { ok: false, problems: errorMessage(err) };
    }
    const previous = this.pipelineNow;
    this.notifications.notifier.reconfigure(loaded.config.notifications);
    const next = new Pipeline(loaded.config, this.log, this.pipelineOptions());
    next.adoptStatus(previous);
    for (const key of ['queue', 'server', 'stateDir'] as const) {
      if (JSON.stringify(previous.config[key]) !== JSON.stringify(loaded.config[key])) {
        this.log.warn({ key }, `config reload: a change to ${key} takes effect after a restart`);
      }
    }
    await this.scheduler.stop();
    if (this.stopping) return { ok: false, problems: 'the service is stopping' };
    this.pipelineNow = next;
    this.files = loaded.files;
    this.scheduler = this.makeScheduler();
    // Before the queue runs, its start does both with the config in force then.
    if (this.queueRunning) {
      this.scheduler.start();
      // Swapped in all the same when the queue cannot take the pass (Redis down): the schedules catch up.
      await this.startupPass().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'cannot queue the start-up scans'));
    }
    this.log.info({ files: loaded.files }, 'config reloaded');
    return { ok: true };
  }

  /** Stops intake (server, schedules), waits for the running jobs (for DRAIN_GRACE_MS, then ends their git requests), and closes the queue. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping');
    this.configWatch?.close();
    // A reload under way may be between stopping the old scheduler and starting the new one.
    await this.reloadTail;
    await this.scheduler.stop();
    this.promotionTimers.stop();
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
    await this.state.close();
    await this.notifications.notifier.idle(NOTIFY_DRAIN_MS);
    this.notifications.notifier.close();
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

/** Why the HTTP server cannot start, naming the address and the settings that chose it. */
function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EADDRINUSE'
      ? 'another process listens there; stop it, or set another server.port'
      : code === 'EACCES'
        ? 'not allowed to listen there (ports below 1024 need privileges); set server.port to 1024 or above'
        : code === 'EADDRNOTAVAIL'
          ? 'no network interface of this machine has that address; set server.host to one it has, or 0.0.0.0'
          : errorMessage(err);
  return new InputError(`cannot serve on ${host}:${port} (server.host, server.port): ${why}`, { cause: err, code: 'LISTEN_FAILED' });
}

/** Where a browser on this machine reaches the server: a wildcard address is shown as localhost. */
export function serviceUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}
