// RequestsAhead on its own, over a recording client: what a request sent ahead hands its taker, and
// when the taker asks again instead. test/git/advertisement-ahead.test.ts runs it against git http-backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { TransientError } from '../../src/errors.js';
import { AHEAD_FRESH_MS, RequestsAhead } from '../../src/git/requests-ahead.js';

const URL_A = 'http://git.example.test/fleet.git/info/refs?service=git-receive-pack';
const AUTH = { Authorization: 'Basic dTpw' };

/** A client that answers each request with its number, and records what it was sent. */
function recordingClient(answer?: (n: number) => Promise<GitHttpResponse>) {
  const sent: GitHttpRequest[] = [];
  const client: HttpClient = {
    request(request) {
      sent.push(request);
      const n = sent.length;
      if (answer) return answer(n);
      return Promise.resolve({
        url: request.url,
        method: request.method ?? 'GET',
        statusCode: 200,
        statusMessage: 'OK',
        headers: { 'x-answer': String(n) },
        body: (async function* () {
          yield Buffer.from(`answer ${n}, `);
          yield Buffer.from('in two parts');
        })(),
      });
    },
  };
  return { client, sent };
}

async function bodyOf(response: GitHttpResponse): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body ?? []) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('RequestsAhead', () => {
  it('hands a GET sent ahead to the identical request that follows, once', async () => {
    const { client, sent } = recordingClient();
    const ahead = new RequestsAhead(client);
    ahead.sendAhead(URL_A, AUTH);
    assert.equal(sent.length, 1, 'sent at once');
    // Header names are matched as HTTP matches them.
    const taken = await ahead.request({ method: 'GET', url: URL_A, headers: { authorization: AUTH.Authorization } });
    assert.equal(taken.headers?.['x-answer'], '1');
    assert.equal(await bodyOf(taken), 'answer 1, in two parts');
    const again = await ahead.request({ method: 'GET', url: URL_A, headers: AUTH });
    assert.equal(again.headers?.['x-answer'], '2', 'taken once: the next one is asked anew');
    assert.equal(sent.length, 2);
  });

  it('sends nothing more while an answer sent for is on its way or fresh', async () => {
    const { client, sent } = recordingClient();
    const ahead = new RequestsAhead(client);
    ahead.sendAhead(URL_A, AUTH);
    ahead.sendAhead(URL_A, AUTH);
    assert.equal(sent.length, 1);
    assert.equal((await ahead.request({ method: 'GET', url: URL_A, headers: AUTH })).headers?.['x-answer'], '1');
  });

  for (const [label, request] of [
    ['other credentials', { method: 'GET', url: URL_A, headers: { Authorization: 'Basic b3RoZXI6cA==' } }],
    ['no credentials', { method: 'GET', url: URL_A, headers: {} }],
    ['another URL', { method: 'GET', url: URL_A.replace('receive', 'upload'), headers: AUTH }],
    ['another method', { method: 'POST', url: URL_A, headers: AUTH }],
  ] as const) {
    it(`does not hand it to a request with ${label}`, async () => {
      const { client, sent } = recordingClient();
      const ahead = new RequestsAhead(client);
      ahead.sendAhead(URL_A, AUTH);
      const answer = await ahead.request({ ...request, headers: { ...request.headers } });
      assert.equal(answer.headers?.['x-answer'], '2');
      assert.equal(sent.length, 2);
    });
  }

  it('hands the failure of a request sent ahead to its taker, as asking then would have', async () => {
    const failure = new TransientError('git server answered HTTP 503');
    const { client, sent } = recordingClient((n) => (n === 1 ? Promise.reject(failure) : Promise.reject(new Error('asked twice'))));
    const ahead = new RequestsAhead(client);
    ahead.sendAhead(URL_A, AUTH);
    // Not taken yet, and not an unhandled rejection (node:test fails the file on one).
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(ahead.request({ method: 'GET', url: URL_A, headers: AUTH }), (err) => err === failure);
    assert.equal(sent.length, 1);
  });

  it('a taker that comes while the answer is on its way waits for it', async () => {
    let answer: (response: GitHttpResponse) => void = () => undefined;
    const { client, sent } = recordingClient(() => new Promise((resolve) => (answer = resolve)));
    const ahead = new RequestsAhead(client);
    ahead.sendAhead(URL_A, AUTH);
    const taken = ahead.request({ method: 'GET', url: URL_A, headers: AUTH });
    answer({ url: URL_A, method: 'GET', statusCode: 200, statusMessage: 'OK', headers: { 'x-answer': 'late' }, body: undefined });
    assert.equal((await taken).headers?.['x-answer'], 'late');
    assert.equal(await bodyOf(await taken), '');
    assert.equal(sent.length, 1);
  });

  it(`asks again for an answer older than ${AHEAD_FRESH_MS} ms, and sends ahead again past it`, async () => {
    let now = 1_000;
    const { client, sent } = recordingClient();
    const ahead = new RequestsAhead(client, { now: () => now });
    ahead.sendAhead(URL_A, AUTH);
    await new Promise((resolve) => setImmediate(resolve));
    now += AHEAD_FRESH_MS;
    ahead.sendAhead(URL_A, AUTH);
    assert.equal(sent.length, 1, 'still fresh at the limit');
    now += 1;
    ahead.sendAhead(URL_A, AUTH);
    assert.equal(sent.length, 2, 'stale: sent again');
    await new Promise((resolve) => setImmediate(resolve));
    now += AHEAD_FRESH_MS + 1;
    const answer = await ahead.request({ method: 'GET', url: URL_A, headers: AUTH });
    assert.equal(answer.headers?.['x-answer'], '3', 'too old when taken: asked anew');
    assert.equal(sent.length, 3);
  });
});
