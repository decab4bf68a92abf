import { InProcessQueue } from '../../src/queue/in-process-queue.js';
import { queueContract, SHORT_RETRY } from './queue-contract.js';

queueContract('in-process', async (options) => new InProcessQueue({ retry: SHORT_RETRY, ...options }));
