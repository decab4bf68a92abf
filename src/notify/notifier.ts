// Delivers notifications: one small FIFO per target, worked one request at a time, each request retried
// with backoff a bounded number of times. This is a delivery channel of its own, not the job queue:
// publish() returns at once, so a slow or dead endpoint never delays or fails a scan or a commit.
// URLs are secrets (Slack and Discord put the credential in the path): they are never logged or shown.
import { randomUUID } from 'node:crypto';
import type { NotificationConfig } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import { classifyStatus } from '../failure-kind.js';
import { exponentialBackoff, retryAfterMs } from '../retry-timing.js';
import type { NotificationEvent } from './notification-event.js';
import { NOTIFICATION_FORMATS } from './notification-formats.js';

/** Tries, timeouts and bounds; tests shrink them. */
export interface NotifierOptions {
  /** Tries per notification, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Notifications waiting per target; beyond it the oldest waiting one is dropped. */
  maxPending: number;
}

/** Six tries over about two minutes, 10 s per request, 100 waiting per target. */
export const DEFAULT_NOTIFIER_OPTIONS: NotifierOptions = { attempts: 6, baseDelayMs: 2_000, maxDelayMs: 60_000, timeoutMs: 10_000, maxPending: 100 };

/** What status shows of one target (never its URL). */
export interface NotificationTargetStatus {
  name: string;
  type: NotificationConfig['type'];
  events: string[];
  /** Waiting or in flight. */
  pending: number;
  delivered: number;
  failed: number;
  lastDelivery: string | null;
  /** The last failed try, and since when tries have been failing (null once one succeeds). */
  lastError: string | null;
  failingSince: string | null;
}

/** Where the notifier logs; a subset of pino's logger. */
export interface NotifierLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

interface Delivery {
  event: NotificationEvent;
  id: string;
  at: Date;
  attempt: number;
}

interface Target {
  config: NotificationConfig;
  queue: Delivery[];
  working: boolean;
  timer: NodeJS.Timeout | null;
  status: NotificationTargetStatus;
}

/** The outcome of one try: delivered, worth another try (after `retryAfterMs` if the endpoint said), or refused for good. */
type TryOutcome = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number | undefined };

/** Queues and sends notifications to the configured targets. */
export class Notifier {
  private targets = new Map<string, Target>();
  private readonly options: NotifierOptions;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    configs: readonly NotificationConfig[],
    private readonly log: NotifierLogger,
    private readonly metrics?: Metrics,
    options: Partial<NotifierOptions> = {},
  ) {
    this.options = { ...DEFAULT_NOTIFIER_OPTIONS, ...options };
    this.reconfigure(configs);
  }

  /** Takes a reloaded config: targets keep their queue and status by name; removed ones are dropped. */
  reconfigure(configs: readonly NotificationConfig[]): void {
    const next = new Map<string, Target>();
    for (const config of configs) {
      const known = this.targets.get(config.name);
      if (known) {
        known.config = config;
        Object.assign(known.status, { type: config.type, events: [...config.events] });
        next.set(config.name, known);
        continue;
      }
      next.set(config.name, {
        config,
        queue: [],
        working: false,
        timer: null,
        status: { name: config.name, type: config.type, events: [...config.events], pending: 0, delivered: 0, failed: 0, lastDelivery: null, lastError: null, failingSince: null },
      });
    }
    for (const [name, target] of this.targets) {
      if (!next.has(name) && target.timer) clearTimeout(target.timer);
    }
    this.targets = next;
    this.notifyIfIdle();
  }

  /** Queues `event` for every target that wants it; returns at once. */
  publish(event: NotificationEvent): void {
    if (this.closed) return;
    for (const target of this.targets.values()) {
      const { events, automations } = target.config;
      if (!events.includes(event.type)) continue;
      if (automations && event.automation !== null && !automations.includes(event.automation)) continue;
      if (target.queue.length >= this.options.maxPending) {
        // Index 0 may be in flight; drop the oldest one still waiting.
        const [dropped] = target.queue.splice(1, 1);
        if (dropped) this.count(target, dropped.event, 'dropped');
        this.log.warn({ notification: target.config.name }, 'notification queue full; dropped the oldest waiting notification');
      }
      target.queue.push({ event, id: randomUUID(), at: new Date(), attempt: 0 });
      target.status.pending = target.queue.length;
      void this.work(target);
    }
  }

  /** Every target's delivery status, for /api/v1/status. */
  status(): NotificationTargetStatus[] {
    return [...this.targets.values()].map((t) => ({ ...t.status }));
  }

  /** Resolves true once nothing is waiting, or false after `timeoutMs` (a one-shot command's last step). */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops: waiting notifications and pending retries are dropped. */
  close(): void {
    this.closed = true;
    for (const target of this.targets.values()) {
      if (target.timer) clearTimeout(target.timer);
      target.queue = [];
      target.status.pending = 0;
    }
    this.notifyIfIdle();
  }

  private async work(target: Target): Promise<void> {
    if (target.working || target.timer) return;
    target.working = true;
    try {
      while (target.queue.length > 0 && !this.closed) {
        const delivery = target.queue[0]!;
        delivery.attempt++;
        const outcome = await this.tryOnce(target.config, delivery);
        if (outcome.ok) {
          target.queue.shift();
          this.count(target, delivery.event, 'delivered');
          Object.assign(target.status, { delivered: target.status.delivered + 1, lastDelivery: new Date().toISOString(), lastError: null, failingSince: null });
          continue;
        }
        target.status.lastError = outcome.reason;
        target.status.failingSince ??= new Date().toISOString();
        const log = { notification: target.config.name, event: delivery.event.type, attempt: delivery.attempt, reason: outcome.reason };
        if (outcome.retry && delivery.attempt < this.options.attempts) {
          this.count(target, delivery.event, 'retried');
          const backoff = exponentialBackoff(this.options.baseDelayMs, delivery.attempt, this.options.maxDelayMs);
          const delayMs = Math.min(this.options.maxDelayMs, outcome.retryAfterMs ?? backoff);
          this.log.warn({ ...log, delayMs }, 'notification not delivered; retrying');
          target.timer = setTimeout(() => {
            target.timer = null;
            void this.work(target);
          }, delayMs);
          // A pending retry must not keep a finished process alive.
          target.timer.unref();
          return;
        }
        target.queue.shift();
        this.count(target, delivery.event, 'failed');
        target.status.failed++;
        this.log.warn(log, 'notification not delivered; giving up');
      }
    } finally {
      target.working = false;
      target.status.pending = target.queue.length;
      this.notifyIfIdle();
    }
  }

  private async tryOnce(config: NotificationConfig, delivery: Delivery): Promise<TryOutcome> {
    const { body, headers } = NOTIFICATION_FORMATS[config.type].render(delivery.event, { id: delivery.id, at: delivery.at, secret: config.secret });
    let response: Response;
    try {
      response = await fetch(config.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'tagpilot', ...headers },
        body,
        // A redirect could carry the body (and the signature) elsewhere; webhook endpoints do not redirect.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      return { ok: false, retry: true, reason: networkReason(err, this.options.timeoutMs) };
    }
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    if (status >= 200 && status < 300) return { ok: true };
    return { ok: false, retry: classifyStatus(status) === 'transient', reason: `HTTP ${status}`, retryAfterMs: retryAfterMs(response.headers.get('retry-after') ?? undefined) };
  }

  private count(target: Target, event: NotificationEvent, result: 'delivered' | 'retried' | 'failed' | 'dropped'): void {
    this.metrics?.notifications.inc({ notification: target.config.name, event: event.type, result });
  }

  private isIdle(): boolean {
    return [...this.targets.values()].every((t) => t.queue.length === 0);
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Why a request got no answer, without the URL (undici puts it in some messages). */
function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string } | undefined) : undefined;
  return cause?.code ? `connection failed (${cause.code})` : 'connection failed';
}
