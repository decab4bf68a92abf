// A request to the git server sent before isomorphic-git asks for it: a fetch and a push each begin
// with a GET of the remote's refs (info/refs), and that GET can go out while the clone is inspected
// or the commit written, so neither waits a round trip for it (issue 18: a warm reconcile 6-12 ms
// faster against a local `git http-backend`; against a hosted one, up to a round trip each).
//
// What isomorphic-git gets is exactly what it would have got asking itself, only sooner: the same
// answer or the same error, the body read whole beforehand. A stale answer is no danger to the
// branch (the server takes a push only from the old head the push names, and refuses it when the
// branch moved: the run fetches and re-applies; a fetch brings a head a moment older), but it is not
// handed out past AHEAD_FRESH_MS, after which the request is sent again as if it had never been sent
// ahead.
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { monotonicMs } from '../monotonic-ms.js';

/** How long an answer sent ahead stays usable: about a commit's writing and signing, not a long wait. */
export const AHEAD_FRESH_MS = 5_000;

/** An answer on its way or arrived: the response with its body read, or the failure. */
interface Ahead {
  answer: Promise<{ response: GitHttpResponse; body: Uint8Array[] }>;
  /** When it came (by the clock), undefined while it is still on its way: a pending one is always waited for. */
  arrivedAt: number | undefined;
}

/** An HttpClient that can send a GET early, for `client` to answer; the next identical request takes that answer, once. */
export class RequestsAhead implements HttpClient {
  private readonly ahead = new Map<string, Ahead>();
  private readonly freshMs: number;
  private readonly now: () => number;

  /** `now` is the clock freshness is measured by, in ms; tests move it. */
  constructor(
    private readonly client: HttpClient,
    { freshMs = AHEAD_FRESH_MS, now = monotonicMs }: { freshMs?: number; now?: () => number } = {},
  ) {
    this.freshMs = freshMs;
    this.now = now;
  }

  /**
   * Sends the GET of `url` with `headers` now; a later one, identical, within freshMs of the answer,
   * takes it. Nothing is sent while such an answer is on its way or still fresh.
   */
  sendAhead(url: string, headers: Record<string, string>): void {
    const request: GitHttpRequest = { method: 'GET', url, headers: { ...headers } };
    const key = keyOf(request);
    const sent = this.ahead.get(key);
    if (sent && !this.stale(sent)) return;
    const entry: Ahead = { answer: this.send(request), arrivedAt: undefined };
    // Nothing may become an unhandled rejection: a failure is the taker's, and no one may take it.
    const arrived = () => void (entry.arrivedAt = this.now());
    entry.answer.then(arrived, arrived);
    this.ahead.set(key, entry);
  }

  async request(request: GitHttpRequest): Promise<GitHttpResponse> {
    // Most requests come with nothing sent ahead (a fetch's POST, a push's pack): no key to make.
    if (this.ahead.size === 0) return this.client.request(request);
    const key = keyOf(request);
    const entry = this.ahead.get(key);
    if (!entry) return this.client.request(request);
    this.ahead.delete(key);
    if (this.stale(entry)) return this.client.request(request);
    const { response, body } = await entry.answer;
    return { ...response, body: replay(body) };
  }

  private stale(entry: Ahead): boolean {
    return entry.arrivedAt !== undefined && this.now() - entry.arrivedAt > this.freshMs;
  }

  /** The answer with its body read to the end, so the connection is free again and a broken body fails here. */
  private async send(request: GitHttpRequest): Promise<{ response: GitHttpResponse; body: Uint8Array[] }> {
    const response = await this.client.request(request);
    const body: Uint8Array[] = [];
    if (response.body) for await (const chunk of response.body) body.push(chunk);
    return { response, body };
  }
}

/** A request's identity: a GET sent ahead serves only the same URL with the same headers (credentials included). */
function keyOf(request: GitHttpRequest): string {
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => [name.toLowerCase(), value])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return JSON.stringify([(request.method ?? 'GET').toUpperCase(), request.url, headers]);
}

async function* replay(chunks: readonly Uint8Array[]): AsyncIterableIterator<Uint8Array> {
  yield* chunks;
}
