// The approval gate of a promotion (SPEC §2): prod promotes through a review branch with a pull/merge
// request; closing it without merging holds that tag back as a revert would, merging does not. The
// hosted APIs are stand-ins (as in test/git/pull-request.test.ts); git and the registry are real.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { defaultCommitMessage } from '../../src/git/commit-message.js';
import { commitScript } from '../helpers/git-scripts.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const TOKEN = 'review-token';
const HOUR = 3_600_000;

interface Review {
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed' | 'merged';
}

/** GitHub pulls or GitLab merge requests of acme/fleet, in memory, with the list filters the providers use. */
async function startReviewApi(provider: 'github' | 'gitlab') {
  const reviews = new Map<number, Review>();
  const base = provider === 'github' ? '/repos/acme/fleet/pulls' : '/api/v4/projects/acme%2Ffleet/merge_requests';
  const asJson = (n: number) => {
    const r = reviews.get(n)!;
    return provider === 'github'
      ? { number: n, title: r.title, body: r.body, html_url: `https://example.test/pull/${n}`, merged_at: r.state === 'merged' ? '2026-01-01T00:00:00Z' : null }
      : { iid: n, title: r.title, description: r.body, web_url: `https://example.test/mr/${n}` };
  };
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const reply = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, { message: 'Bad credentials' });
    const url = new URL(req.url!, 'http://x');
    if (!url.pathname.startsWith(base)) return reply(404, { message: 'Not Found' });
    const rest = url.pathname.slice(base.length);
    if (req.method === 'GET' && rest === '') {
      const q = url.searchParams;
      const head = provider === 'github' ? q.get('head')?.replace(/^acme:/, '') : q.get('source_branch');
      const target = provider === 'github' ? q.get('base') : q.get('target_branch');
      // GitHub's "closed" lists merged ones too; GitLab's lists only the ones closed without merging.
      const states = { open: ['open'], opened: ['open'], closed: provider === 'github' ? ['closed', 'merged'] : ['closed'] }[q.get('state') ?? ''];
      if (!states) return reply(400, { message: `state ${q.get('state')}` });
      const found = [...reviews].filter(([, r]) => r.head === head && r.base === target && states.includes(r.state)).map(([n]) => n);
      return reply(200, found.reverse().map(asJson));
    }
    if (req.method === 'POST' && rest === '') {
      const n = reviews.size + 1;
      reviews.set(n, {
        title: String(body?.title),
        body: String(body?.[provider === 'github' ? 'body' : 'description']),
        head: String(body?.[provider === 'github' ? 'head' : 'source_branch']),
        base: String(body?.[provider === 'github' ? 'base' : 'target_branch']),
        state: 'open',
      });
      return reply(201, asJson(n));
    }
    const match = /^\/(\d+)$/.exec(rest);
    if (match && req.method === (provider === 'github' ? 'PATCH' : 'PUT') && reviews.has(Number(match[1]))) {
      const r = reviews.get(Number(match[1]))!;
      r.title = String(body?.title);
      r.body = String(body?.[provider === 'github' ? 'body' : 'description']);
      return reply(200, asJson(Number(match[1])));
    }
    reply(405, { message: `unexpected ${req.method} ${req.url}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: provider === 'github' ? root : `${root}/api/v4`,
    reviews,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

for (const provider of ['github', 'gitlab'] as const) {
  describe(`promotion through review: ${provider}`, () => {
    let registry: TestRegistry;
    let gitServer: TestGitServer;
    let api: Awaited<ReturnType<typeof startReviewApi>>;
    let dir: string;
    let repository: string;
    let configPath: string;
    const marked = (tag: string, policy: string) => `image: ${repository}:${tag} # {"$imagepolicy": "${policy}"}\n`;
    const env = () => ({
      TAGPILOT_LOG_LEVEL: 'silent',
      REVIEW_TOKEN: TOKEN,
      [provider === 'github' ? 'TAGPILOT_GITHUB_API_URL' : 'TAGPILOT_GITLAB_API_URL']: api.url,
    });

    /** The commit tagpilot's staging automation would have written `hoursAgo`. */
    const stagingCommit = async (from: string, to: string, hoursAgo: number) => {
      const file = 'staging/app.yaml';
      const message = defaultCommitMessage('staging', [{ file, policy: 'app-staging', repository, from, to }]);
      const date = new Date(Date.now() - hoursAgo * HOUR).toISOString();
      const script = join(dir, `commit-${process.hrtime.bigint()}.sh`);
      await writeFile(script, commitScript({ branch: 'main', files: { [file]: marked(to, 'app-staging') }, message, author: { name: 'tagpilot', email: 'tagpilot@localhost', date } }));
      try {
        return (await runCommand('sh', [script], { cwd: gitServer.repoPath('acme/fleet') })).stdout.trim();
      } finally {
        await rm(script, { force: true });
      }
    };

    before(async () => {
      [registry, gitServer, api, dir] = await Promise.all([startRegistry(), startGitServer(), startReviewApi(provider), makeTempDir(`promotion-${provider}`)]);
      repository = `${registry.host}/acme/app`;
      for (const tag of ['1.0.0', '1.3.0', '1.4.0']) await registry.pushImage('acme/app', tag);
      const url = await gitServer.createRepo('acme/fleet', { 'staging/app.yaml': marked('1.0.0', 'app-staging'), 'prod/app.yaml': marked('1.0.0', 'app-prod') });
      await stagingCommit('1.0.0', '1.3.0', 70);
      await stagingCommit('1.3.0', '1.4.0', 40);
      configPath = join(dir, 'tagpilot.yaml');
      await writeFile(
        configPath,
        `images: [{ name: app, repository: ${repository}, interval: 0 }]
policies:
  - { name: app-staging, image: app, semver: '>=1.0.0' }
  - { name: app-prod, image: app, semver: '>=1.0.0', promotion: { from: staging, soak: 24h } }
automations:
  - { name: staging, git: { url: ${url} }, paths: [staging], policies: [app-staging] }
  - name: prod
    git: { url: ${url}, pushBranch: tagpilot/prod }
    paths: [prod]
    policies: [app-prod]
    pullRequest: { provider: ${provider}, tokenEnv: REVIEW_TOKEN }
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${join(dir, 'state')}
`,
      );
    });
    after(async () => {
      await Promise.all([registry?.stop(), gitServer?.stop(), api?.stop()]);
      if (dir) await removeTempDir(dir);
    });

    const cli = async (command: string) => {
      let out = '';
      const code = await runCli([command, '--config', configPath, '--automation', 'prod'], { out: (t) => (out += t), err: () => {}, env: env() });
      assert.equal(code, 0, out);
      return out;
    };

    it('proposes the promotion for review, and a request closed without merging holds that tag back', async () => {
      await cli('reconcile');
      assert.equal(api.reviews.size, 1);
      const first = api.reviews.get(1)!;
      assert.match(first.title, /^Promote \S+ 1\.4\.0 from staging after 40h$/);
      assert.match(await gitServer.readFile('acme/fleet', 'tagpilot/prod', 'prod/app.yaml'), /:1\.4\.0 #/);

      first.state = 'closed';
      const plan = await cli('plan');
      assert.match(plan, /# app-prod: 1\.4\.0 not promoted: review #1 was closed without merging/);
      await cli('reconcile');
      assert.equal(api.reviews.size, 2, 'a new request proposes the next best soaked tag');
      const second = api.reviews.get(2)!;
      assert.match(second.title, /^Promote \S+ 1\.3\.0 from staging after 30h$/);
      assert.match(await gitServer.readFile('acme/fleet', 'tagpilot/prod', 'prod/app.yaml'), /:1\.3\.0 #/);
    });

    it('a merged request holds nothing', async () => {
      api.reviews.get(2)!.state = 'merged';
      const plan = await cli('plan');
      assert.doesNotMatch(plan, /1\.3\.0 not promoted/);
      assert.match(plan, /1\.4\.0 not promoted: review #1/);
    });
  });
}
