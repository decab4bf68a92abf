// A tiny HTTP(S) server whose answers each test scripts, for what a real registry cannot be made to do
// on demand: paging with `n`, 429 and 503 with Retry-After, slow answers, redirects, revoked tokens.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ScriptedRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" or https:// */
  url: string;
  requests: SeenRequest[];
  /** The most requests that were in flight at once since the last reset. */
  maxInFlight: number;
  /** Replaces the handler and forgets what was seen. */
  script(handler: Handler): void;
  close(): Promise<void>;
}

/** Starts a scripted server on 127.0.0.1; with `tls` it serves HTTPS with that key and certificate. */
export async function startScriptedRegistry(tls?: { key: string; cert: string }): Promise<ScriptedRegistry> {
  let handler: Handler = (_req, res) => void res.writeHead(404).end();
  let inFlight = 0;
  const state = { requests: [] as SeenRequest[], maxInFlight: 0 };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    state.requests.push({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      authorization: req.headers.authorization,
      accept: req.headers.accept,
    });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.once('close', () => inFlight--);
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `${tls ? 'https' : 'http'}://${host}`,
    get requests() {
      return state.requests;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    script(next) {
      handler = next;
      state.requests = [];
      state.maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with `status`, JSON `body` and `headers`. */
export function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
}

/**
 * Streams a tags/list of `total` bytes, made up as it goes (never allocated whole), honouring
 * backpressure; `sent()` says how far it got before the client hung up.
 */
export function streamTagList(res: ServerResponse, total: number, headers: Record<string, string> = {}): { sent: () => number } {
  let sent = 0;
  let n = 0;
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  const head = '{"name":"acme/huge","tags":["0.0.0"';
  const tail = ']}';
  const pump = () => {
    if (sent === 0) {
      res.write(head);
      sent += head.length;
    }
    while (!res.destroyed) {
      const parts: string[] = [];
      for (let i = 0; i < 4096; i++) parts.push(`,"1.0.${n++}"`);
      const chunk = parts.join('');
      if (sent + chunk.length + tail.length >= total) {
        res.end(tail);
        return;
      }
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
  return { sent: () => sent };
}
