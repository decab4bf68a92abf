// The review flow against small stand-ins for the GitHub and GitLab REST APIs (the hosted ones are
// out of reach here): they check each request's path, auth and body like the real ones would.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAutomation } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { InputError, UnauthorizedError } from '../../src/errors.js';
import { upsertPullRequest, type PullRequestProviderId } from '../../src/git/pull-request.js';
import { createLogger } from '../../src/log.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const TOKEN = 'api-token-123';
const APP = 'ghcr.io/acme/app';
const marked = (tag: string) => `image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

interface FakeApi {
  url: string;
  seen: Seen[];
  /** Open requests by number. */
  open: Map<number, { title: string; body: string; head: string; base: string }>;
  /** Make the next list come back empty once (as if another writer was about to create one). */
  hideNextList(): void;
  stop(): Promise<void>;
}

/** GitHub pulls or GitLab merge requests for the project acme/fleet, in memory. */
async function startFakeApi(provider: PullRequestProviderId): Promise<FakeApi> {
  const seen: Seen[] = [];
  const open = new Map<number, { title: string; body: string; head: string; base: string }>();
  let hideList = false;
  const base = provider === 'github' ? '/repos/acme/fleet/pulls' : '/api/v4/projects/acme%2Ffleet/merge_requests';
  const asJson = (n: number) => {
    const pr = open.get(n)!;
    return provider === 'github'
      ? { number: n, title: pr.title, body: pr.body, html_url: `https://example.test/pull/${n}` }
      : { iid: n, title: pr.title, description: pr.body, web_url: `https://example.test/mr/${n}` };
  };
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
    const reply = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, { message: 'Bad credentials' });
    const url = new URL(req.url!, 'http://x');
    if (!req.url!.startsWith(base)) return reply(404, { message: 'Not Found' });
    const rest = req.url!.slice(base.length);
    if (req.method === 'GET' && (rest === '' || rest.startsWith('?'))) {
      const head = provider === 'github' ? url.searchParams.get('head') : url.searchParams.get('source_branch');
      const wantedBase = provider === 'github' ? url.searchParams.get('base') : url.searchParams.get('target_branch');
      const state = url.searchParams.get('state');
      if (state !== (provider === 'github' ? 'open' : 'opened')) return reply(400, { message: `state ${state}` });
      if (hideList) {
        hideList = false;
        return reply(200, []);
      }
      const branch = provider === 'github' ? head?.replace(/^acme:/, '') : head;
      return reply(200, [...open].filter(([, pr]) => pr.head === branch && pr.base === wantedBase).map(([n]) => asJson(n)));
    }
    if (req.method === 'POST' && rest === '') {
      const head = String(body?.[provider === 'github' ? 'head' : 'source_branch']);
      const target = String(body?.[provider === 'github' ? 'base' : 'target_branch']);
      const text = String(body?.[provider === 'github' ? 'body' : 'description']);
      if ([...open.values()].some((pr) => pr.head === head && pr.base === target)) {
        return provider === 'github'
          ? reply(422, { message: 'Validation Failed', errors: [{ message: `A pull request already exists for acme:${head}.` }] })
          : reply(409, { message: ['Another open merge request already exists for this source branch: !1'] });
      }
      const n = open.size + 1;
      open.set(n, { title: String(body?.title), body: text, head, base: target });
      return reply(201, asJson(n));
    }
    const match = /^\/(\d+)$/.exec(rest);
    if (match && req.method === (provider === 'github' ? 'PATCH' : 'PUT') && open.has(Number(match[1]))) {
      const pr = open.get(Number(match[1]))!;
      pr.title = String(body?.title);
      pr.body = String(body?.[provider === 'github' ? 'body' : 'description']);
      return reply(200, asJson(Number(match[1])));
    }
    reply(405, { message: `unexpected ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: provider === 'github' ? root : `${root}/api/v4`,
    seen,
    open,
    hideNextList: () => {
      hideList = true;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

for (const provider of ['github', 'gitlab'] as const) {
  describe(`pull requests: ${provider}`, () => {
    let git: TestGitServer;
    let api: FakeApi;
    let dir: string;
    let url: string;
    const envName = provider === 'github' ? 'TAGPILOT_GITHUB_API_URL' : 'TAGPILOT_GITLAB_API_URL';

    before(async () => {
      [git, api, dir] = await Promise.all([startGitServer(), startFakeApi(provider), makeTempDir(`pr-${provider}`)]);
      url = await git.createRepo('acme/fleet', { 'apps/app.yaml': marked('1.0.0') });
    });
    after(async () => {
      await Promise.all([git?.stop(), api?.stop()]);
      if (dir) await removeTempDir(dir);
    });

    const automation = () =>
      AutomationConfig.parse({
        name: 'fleet',
        git: { url, branch: 'main', pushBranch: 'tagpilot/review' },
        paths: ['apps'],
        pullRequest: { provider, tokenEnv: 'REVIEW_TOKEN' },
      });
    const run = (tag: string, env: NodeJS.ProcessEnv = { REVIEW_TOKEN: TOKEN, [envName]: api.url }) =>
      runAutomation(automation(), new Map([['app', { policy: 'app', repository: APP, tag }]]), {
        stateDir: join(dir, 'state'),
        log: createLogger('silent'),
        knownPolicies: new Set(['app']),
        env,
      });
    const writes = () => api.seen.filter((s) => s.method !== 'GET');

    it('opens one request with the commit message, then neither duplicates nor rewrites it', async () => {
      const first = await run('1.1.0');
      assert.equal(first.pullRequest?.action, 'created');
      assert.equal(writes().length, 1);
      const create = writes()[0]!;
      assert.equal(create.authorization, `Bearer ${TOKEN}`);
      const title = `Update ${APP} to 1.1.0`;
      const body = `- app: ${APP} 1.0.0 -> 1.1.0\n\nFiles:\n- apps/app.yaml\n\nTagpilot-Automation: fleet`;
      if (provider === 'github') {
        assert.equal(create.url, '/repos/acme/fleet/pulls');
        assert.deepEqual(create.body, { title, body, head: 'tagpilot/review', base: 'main' });
      } else {
        assert.equal(create.url, '/api/v4/projects/acme%2Ffleet/merge_requests');
        assert.deepEqual(create.body, { source_branch: 'tagpilot/review', target_branch: 'main', title, description: body });
      }

      const second = await run('1.1.0');
      assert.equal(second.pullRequest?.action, 'unchanged');
      assert.equal(writes().length, 1, 'no duplicate, no needless update');
      assert.equal(api.open.size, 1);
    });

    it('updates the title and body when the change moves on', async () => {
      const third = await run('1.2.0');
      assert.equal(third.pullRequest?.action, 'updated');
      assert.equal(api.open.size, 1);
      const update = writes().at(-1)!;
      assert.equal(update.method, provider === 'github' ? 'PATCH' : 'PUT');
      assert.equal(update.url, provider === 'github' ? '/repos/acme/fleet/pulls/1' : '/api/v4/projects/acme%2Ffleet/merge_requests/1');
      assert.equal(api.open.get(1)!.title, `Update ${APP} to 1.2.0`);
      assert.match(api.open.get(1)!.body, /1\.0\.0 -> 1\.2\.0/);
    });

    it('when another writer opened it meanwhile, updates that one instead of failing or duplicating', async () => {
      api.hideNextList();
      const spec = { gitUrl: url, sourceBranch: 'tagpilot/review', targetBranch: 'main', title: 'Raced', body: 'b' };
      const outcome = await upsertPullRequest(provider, spec, TOKEN, { env: { [envName]: api.url } });
      assert.equal(outcome.action, 'updated');
      assert.equal(api.open.size, 1);
      assert.equal(api.open.get(1)!.title, 'Raced');
    });

    it('a refused token names the API, not the token; a missing one fails before pushing', async () => {
      const spec = { gitUrl: url, sourceBranch: 'tagpilot/review', targetBranch: 'main', title: 't', body: 'b' };
      await assert.rejects(upsertPullRequest(provider, spec, 'nope-wrong', { env: { [envName]: api.url } }), (err: Error) => {
        assert.ok(err instanceof UnauthorizedError, String(err));
        assert.match(err.message, new RegExp(`${provider} API at http://127\\.0\\.0\\.1:\\d+ refused the pullRequest token \\(HTTP 401\\)`));
        assert.doesNotMatch(err.message, /nope-wrong/);
        return true;
      });
      // Through a run, the refusal names the automation and the variable that holds the token.
      await assert.rejects(run('1.2.5', { REVIEW_TOKEN: 'nope-wrong', [envName]: api.url }), (err: Error) => {
        assert.ok(err instanceof UnauthorizedError, String(err));
        assert.match(
          err.message,
          new RegExp(`^automation fleet: ${provider} API at http://127\\.0\\.0\\.1:\\d+ refused the pullRequest token \\(HTTP 401\\).*: check automations\\[fleet\\]\\.pullRequest\\.tokenEnv REVIEW_TOKEN$`),
        );
        return true;
      });
      const pushesBefore = git.requests.filter((r) => r.service === 'git-receive-pack').length;
      await assert.rejects(run('1.3.0', { [envName]: api.url }), (err: Error) => err instanceof InputError && /REVIEW_TOKEN is not set/.test(err.message));
      assert.equal(git.requests.filter((r) => r.service === 'git-receive-pack').length, pushesBefore);
    });
  });
}

describe('pull request API location', () => {
  it('derives the API from git.url: api.github.com, GHE /api/v3, GitLab /api/v4', async () => {
    const { PULL_REQUEST_PROVIDERS } = await import('../../src/git/pull-request.js');
    assert.equal(PULL_REQUEST_PROVIDERS.github.defaultApiUrl(new URL('https://github.com/acme/fleet.git')), 'https://api.github.com');
    assert.equal(PULL_REQUEST_PROVIDERS.github.defaultApiUrl(new URL('https://git.corp.example/acme/fleet.git')), 'https://git.corp.example/api/v3');
    assert.equal(PULL_REQUEST_PROVIDERS.gitlab.defaultApiUrl(new URL('https://gitlab.example.com:8443/acme/sub/fleet.git')), 'https://gitlab.example.com:8443/api/v4');
  });
});
