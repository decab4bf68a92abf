// A local HTTP server standing in for chat webhooks (Slack, Teams, Discord) and webhook receivers: it
// records every POST and answers as each test scripts (statuses per path, or never).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as received: the raw body is what an HMAC is computed over. */
export interface ReceivedNotification {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  json: unknown;
}

export interface NotificationReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Status answers for `path`, used in order; the last one repeats. `'hang'` never answers. */
  answer(path: string, ...statuses: Array<number | 'hang'>): void;
  /** Requests held open by 'hang' (answered when the receiver closes). */
  hanging: number;
  close(): Promise<void>;
}

export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const received: ReceivedNotification[] = [];
  const scripts = new Map<string, Array<number | 'hang'>>();
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(raw);
      } catch {
        json = null;
      }
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, raw, json });
      const script = scripts.get(path) ?? [200];
      const status = script.length > 1 ? script.shift()! : script[0]!;
      if (status === 'hang') {
        held.push(res);
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answer: (path, ...statuses) => void scripts.set(path, statuses),
    get hanging() {
      return held.filter((r) => !r.writableEnded).length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
