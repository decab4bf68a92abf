import { InProcessQueue } from '../../src/queue/in-process-queue.js';
import { queueContract } from './queue-contract.js';

queueContract('in-process', async () => new InProcessQueue({ retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } }));
