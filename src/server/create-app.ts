// The HTTP surface (SPEC §6). The only module that imports express.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Pipeline } from '../automation/pipeline.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { JobKind } from '../queue/job-queue.js';
import { constantTimeEqual } from '../webhook/constant-time-equal.js';
import { handleWebhook } from '../webhook/handle-webhook.js';
import { webhookSources } from '../webhook/webhook-sources.js';
import { renderStatusPage } from './status-page.js';
import { statusReport, type StatusContext } from './status-report.js';

/** Webhook bodies larger than this are refused with 413 before they are read whole. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** What a 503 asks a client to wait while the queue is unreachable: a few of its reconnect attempts. */
export const QUEUE_RETRY_AFTER_SECONDS = 5;
/** How long a request waits for the queue to take its job before answering 503 instead. */
export const QUEUE_ANSWER_MS = 1_000;

/** What the routes read and do: the live pipeline (swapped on reload), the queue's state, triggers. */
export interface AppContext {
  pipeline(): Pipeline | null;
  metrics: Metrics;
  log: Logger;
  /** Queues a scan or run; false when no image/automation has that name. */
  trigger(kind: JobKind, name: string): Promise<boolean>;
  /** Whether jobs can be queued now: the queue has started and its backend answers (/readyz). */
  accepting(): Promise<boolean>;
  /** The service's own facts for status: start time, config files, next scans. */
  status?: StatusContext;
}

/** Builds the express app. */
export function createApp(context: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  const live = (res: Response): Pipeline | null => {
    const pipeline = context.pipeline();
    if (!pipeline) res.status(503).json({ error: 'config not loaded' });
    return pipeline;
  };

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/readyz', async (_req, res) => {
    const configLoaded = context.pipeline() !== null;
    const queueReady = await context.accepting().catch(() => false);
    res.status(configLoaded && queueReady ? 200 : 503).json({ configLoaded, queueReady });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });

  const startedAt = new Date();
  const statusContext = (): StatusContext => context.status ?? { startedAt, configFiles: [], nextScan: () => null };

  app.get('/api/v1/status', (_req, res) => {
    const pipeline = live(res);
    if (pipeline) res.json(statusReport(pipeline, statusContext()));
  });

  app.get('/', (_req, res) => {
    const pipeline = live(res);
    if (pipeline) res.type('html').send(renderStatusPage(statusReport(pipeline, statusContext())));
  });

  const requireToken = (req: Request, res: Response, next: NextFunction) => {
    const token = context.pipeline()?.config.server.apiToken;
    if (!token) {
      res.status(403).json({ error: 'the trigger API is off: set server.apiToken' });
      return;
    }
    const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!constantTimeEqual(given, token)) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: 'missing or wrong bearer token' });
      return;
    }
    next();
  };
  // Redis down: answer at once, rather than after the queue's offline buffer gives up half a minute later.
  const unavailable = (res: Response) =>
    res.status(503).set('retry-after', String(QUEUE_RETRY_AFTER_SECONDS)).json({ error: 'the job queue is unreachable; try again shortly' });
  const requireQueue = async (_req: Request, res: Response, next: NextFunction) => {
    if (await context.accepting().catch(() => false)) next();
    else unavailable(res);
  };
  /** Runs `work` (queue adds), or undefined when the queue does not take them within QUEUE_ANSWER_MS. */
  const queueing = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), QUEUE_ANSWER_MS)));
    try {
      return await Promise.race([work(), late]);
    } catch (err) {
      context.log.warn({ err: errorMessage(err) }, 'cannot queue a job');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  const triggerRoute = (kind: JobKind) => async (req: Request<{ name: string }>, res: Response) => {
    const known = await queueing(() => context.trigger(kind, req.params.name));
    if (known === undefined) unavailable(res);
    else if (known) res.status(202).json({ queued: kind, name: req.params.name });
    else res.status(404).json({ error: `no ${kind === 'scan' ? 'image' : 'automation'} named ${req.params.name}` });
  };
  app.post('/api/v1/images/:name/scan', requireToken, requireQueue, triggerRoute('scan'));
  app.post('/api/v1/automations/:name/run', requireToken, requireQueue, triggerRoute('write'));

  app.post(
    '/hooks/:name',
    (req: Request<{ name: string }>, res, next) => {
      // 404 before reading a byte of an unknown hook's body.
      const hook = context.pipeline()?.config.webhooks.find((w) => w.name === req.params.name);
      if (!hook) {
        context.metrics.webhooks.inc({ webhook: '(unknown)', status: '404' });
        res.status(404).json({ error: `no webhook named ${req.params.name}` });
        return;
      }
      next();
    },
    async (req: Request<{ name: string }>, res, next) => {
      if (await context.accepting().catch(() => false)) return next();
      context.metrics.webhooks.inc({ webhook: req.params.name, status: '503' });
      unavailable(res);
    },
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req: Request<{ name: string }>, res) => {
      const pipeline = context.pipeline()!;
      const hook = pipeline.config.webhooks.find((w) => w.name === req.params.name)!;
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const outcome = handleWebhook(
        webhookSources[hook.type],
        hook.secret ?? '',
        { headers: lowerCaseHeaders(req), query: queryStrings(req), body },
        pipeline.config.images,
      );
      if (outcome.status !== 202) {
        context.metrics.webhooks.inc({ webhook: hook.name, status: String(outcome.status) });
        context.log.warn({ webhook: hook.name, status: outcome.status, err: outcome.error }, 'webhook refused');
        res.status(outcome.status).json({ error: outcome.error });
        return;
      }
      const queued = await queueing(async () => {
        for (const image of outcome.images) {
          pipeline.noteWebhook(image, hook.name);
          // Before the scan is queued, so whichever replica runs it waits for the tags.
          await pipeline.awaitTags(image, outcome.tags.get(image) ?? [], hook.name);
          await context.trigger('scan', image);
        }
        return true;
      });
      if (!queued) {
        context.metrics.webhooks.inc({ webhook: hook.name, status: '503' });
        unavailable(res);
        return;
      }
      context.metrics.webhooks.inc({ webhook: hook.name, status: '202' });
      // One info line per delivery that names a configured image; the rest (a registry's blob pushes,
      // untagged manifests, repositories we do not watch) arrive by the dozen and are debug.
      const fields = { webhook: hook.name, images: outcome.images, events: outcome.events.length };
      if (outcome.images.length > 0) context.log.info(fields, 'webhook accepted');
      else context.log.debug(fields, 'webhook matched no image');
      res.status(202).json({ images: outcome.images });
    },
  );

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status === 413) {
      context.metrics.webhooks.inc({ webhook: String(req.params.name ?? '(unknown)'), status: '413' });
      res.status(413).json({ error: `body over ${MAX_WEBHOOK_BYTES} bytes` });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: errorMessage(err) });
      return;
    }
    context.log.error({ err: errorMessage(err), path: req.path }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  });

  return app;
}

function lowerCaseHeaders(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function queryStrings(req: Request): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = {};
  for (const [name, value] of new URL(req.originalUrl, 'http://localhost').searchParams) query[name] = value;
  return query;
}
