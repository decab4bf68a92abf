// Waiting for a stream that refused a write to take more: the git HTTP client's request body and the
// SSH client's channel both send a push this way.
import type { EventEmitter } from 'node:events';

/**
 * Resolves when `stream` drains, or closes (the request's or command's outcome then says why). Both
 * listeners go when either fires: a push waits here each time the socket's buffer is full, once per
 * chunk of a large pack, and a listener left behind by each wait would pile up for the whole push.
 */
export function untilWritable(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done);
      resolve();
    };
    stream.on('drain', done).on('close', done);
  });
}
