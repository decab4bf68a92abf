// The HTTP surface (SPEC §6). The only module that imports express.
import express, { type Express } from 'express';
import type { Pipeline } from '../automation/pipeline.js';
import type { JobQueue } from '../queue/job-queue.js';
import { statusReport } from './status-report.js';

/** What the routes read: the live pipeline (swapped on reload) and the queue. */
export interface AppContext {
  pipeline(): Pipeline | null;
  queue: JobQueue;
}

/** Builds the express app. */
export function createApp(context: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/readyz', async (_req, res) => {
    const configLoaded = context.pipeline() !== null;
    const queueReady = await context.queue.ready().catch(() => false);
    res.status(configLoaded && queueReady ? 200 : 503).json({ configLoaded, queueReady });
  });

  app.get('/api/v1/status', (_req, res) => {
    const pipeline = context.pipeline();
    if (!pipeline) {
      res.status(503).json({ error: 'config not loaded' });
      return;
    }
    res.json(statusReport(pipeline));
  });

  return app;
}
