// Picks the queue backend from the config: Redis through BullMQ when `queue.redisUrl` is set,
// otherwise the in-process queue (so one process needs nothing but Node).
import type { QueueConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { InProcessQueue } from './in-process-queue.js';
import type { JobQueue } from './job-queue.js';

/** The configured JobQueue, not yet started. */
export async function createQueue(config: QueueConfig, log: Logger): Promise<JobQueue> {
  if (!config.redisUrl) return new InProcessQueue({ log });
  // Loaded only when asked for, so a single process never pulls in ioredis.
  const { BullmqQueue } = await import('./bullmq-queue.js');
  return new BullmqQueue({ redisUrl: config.redisUrl, log });
}
