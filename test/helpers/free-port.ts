// Free TCP ports on 127.0.0.1 for the peers our tests start.
import { createServer } from 'node:net';

/**
 * Asks the kernel for a free port by listening on port 0 and closing again. Another process can take
 * the port between our close and the child's bind, so the helpers that use it retry their start when
 * the child says "address already in use" instead of trusting the port blindly.
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a probe socket'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** True when a child's output says its port was taken: the caller picks another port and retries. */
export function isAddressInUse(output: string): boolean {
  return /address already in use|EADDRINUSE/i.test(output);
}
