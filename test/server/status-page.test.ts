// The status page (SPEC §6 GET /) and /api/v1/status for a healthy, a held-back and a failing
// automation, and with nothing configured, served by a real `serve` against a real registry and git
// server: every fact the page promises is checked on it. With TAGPILOT_STATUS_PAGES=DIR set, each
// state's HTML is written there too (docs/status-page-*.png are screenshots of them).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { Service } from '../../src/serve.js';
import type { StatusReport } from '../../src/server/status-report.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { rejectingHook } from '../helpers/git-scripts.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const HOOK_SECRET = 'hook-secret-1';
const API_TOKEN = 'api-token-1';
const GITHUB_TOKEN = 'github-token-1';
const version = (JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8'))) as { version: string }).version;

/** GitHub's pulls API as far as the review flow uses it: no open pull, so one is created as #7. */
async function startGitHubStandIn(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${GITHUB_TOKEN}`) return json(401, { message: 'Bad credentials' });
      if (req.method === 'GET') return json(200, []);
      return json(201, { number: 7, title: 'x', body: '', html_url: 'https://github.example.test/acme/review/pull/7' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('status page', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let github: { url: string; server: Server };
  let dir: string;
  const env = () => ({ ...process.env, HOOK_SECRET, GITHUB_TOKEN, TAGPILOT_GITHUB_API_URL: github.url });
  const marked = (host: string, tag: string) =>
    `# the app\nimage: ${host}/acme/app:${tag} # {"$imagepolicy": "app"}\nvalues:\n  tag: "${tag}" # {"$imagepolicy": "app:tag"}\n`;

  before(async () => {
    [registry, gitServer, github, dir] = await Promise.all([startRegistry(), startGitServer(), startGitHubStandIn(), makeTempDir('status-page')]);
    for (const tag of ['1.0.0', '1.1.0', 'latest']) await registry.pushImage('acme/app', tag);
  });

  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop(), new Promise((resolve) => github?.server.close(resolve))]);
    if (dir) await removeTempDir(dir);
  });

  /** Starts serve on a config of the image, its policy and `automations`; returns it and how to read its pages. */
  async function serve(name: string, automations: string | null) {
    const configPath = join(dir, `${name}.yaml`);
    const watched = `images:
  - { name: app, repository: ${registry.host}/acme/app, interval: 1h }
policies:
  - { name: app, image: app, semver: '>=1.0.0' }
${automations}
registries: [{ host: ${registry.host}, insecure: true }]
webhooks: [{ name: ci, type: generic, secretEnv: HOOK_SECRET }]
`;
    await writeFile(
      configPath,
      `${automations === null ? '' : watched}server: { host: 127.0.0.1, port: 0, apiToken: ${API_TOKEN} }
stateDir: ${join(dir, `state-${name}`)}
`,
    );
    const service = await Service.start(await loadConfig(configPath, env()), { configPath, env: env() }, createLogger('silent'));
    const base = `http://127.0.0.1:${service.port}`;
    return {
      service,
      configPath,
      base,
      status: async () => (await (await fetch(`${base}/api/v1/status`)).json()) as StatusReport,
      page: async () => {
        const res = await fetch(`${base}/`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        const html = await res.text();
        if (process.env.TAGPILOT_STATUS_PAGES) await writeFile(join(process.env.TAGPILOT_STATUS_PAGES, `status-page-${name}.html`), html);
        return html;
      },
    };
  }

  /** The page as a person reads it: tags dropped, entities decoded, whitespace collapsed. */
  const text = (html: string) =>
    html
      .replace(/<style>[\s\S]*?<\/style>/, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
      .replace(/\s+/g, ' ')
      .replace(/ ([),.:])/g, '$1');

  /** Version, uptime and the ages beside timestamps: on every page. */
  function assertFrame(page: string, html: string) {
    assert.ok(page.includes(`version ${version}`), 'version');
    assert.match(page, /· up \d+ s \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((just now|\d+ s ago)\)\)/, 'uptime');
    assert.doesNotMatch(html, /<script/i, 'no JavaScript');
  }

  it('healthy: up to date, with the values in Git, recent commits, the review link and the last webhook', async () => {
    const healthyUrl = (await gitServer.createRepo('healthy', { 'apps/app.yaml': marked(registry.host, '1.0.0') })).replace('http://', 'http://bot:git-secret-1@');
    const reviewUrl = await gitServer.createRepo('acme/review', { 'apps/app.yaml': marked(registry.host, '1.0.0') });
    const s = await serve(
      'healthy',
      `automations:
  - { name: fleet, git: { url: '${healthyUrl}', branch: main }, paths: [apps], interval: 0 }
  - name: review
    git: { url: ${reviewUrl}, pushBranch: tagpilot/app }
    pullRequest: { provider: github, tokenEnv: GITHUB_TOKEN }
    interval: 0`,
    );
    try {
      await waitFor('both automations ran', async () => (await s.status()).automations.every((a) => a.lastRun !== null));
      const body = JSON.stringify({ repository: `${registry.host}/acme/app`, tag: '1.1.0' });
      const signature = createHmac('sha256', HOOK_SECRET).update(body).digest('hex');
      const hook = await fetch(`${s.base}/hooks/ci`, { method: 'POST', body, headers: { 'x-signature': `sha256=${signature}` } });
      assert.equal(hook.status, 202);
      await s.service.queue.idle();

      const status = await s.status();
      assert.equal(status.summary.text, 'all 2 automations up to date', JSON.stringify(status.summary.failing));
      const [image] = status.images;
      assert.equal(image!.lastWebhook?.webhook, 'ci');
      assert.ok(image!.nextScan && Date.parse(image!.nextScan) > Date.now(), 'next scan is in the future');
      const fleet = status.automations.find((a) => a.name === 'fleet')!;
      assert.deepEqual(
        fleet.fields.map((f) => [f.file, f.line, f.field, f.value, f.pick, f.state]),
        [
          ['apps/app.yaml', 2, 'image', `${registry.host}/acme/app:1.1.0`, `${registry.host}/acme/app:1.1.0`, 'up to date'],
          ['apps/app.yaml', 4, 'tag', '1.1.0', '1.1.0', 'up to date'],
        ],
      );
      const log = await gitServer.log('healthy', 'main');
      assert.deepEqual(fleet.recentCommits.map((c) => [c.sha, c.subject]), log.map((c) => [c.sha, c.subject]));

      const html = await s.page();
      const page = text(html);
      assertFrame(page, html);
      assert.ok(page.includes('all 2 automations up to date'), 'summary');
      // The image: repository, interval, last and next scan, last webhook, tag count.
      assert.match(page, new RegExp(`app ${registry.host}/acme/app 1 h \\S+ \\S+ UTC \\((just now|\\d+ s ago)\\) \\S+ \\S+ UTC \\(in \\d+ (min|s)\\) \\S+ \\S+ UTC \\((just now|\\d+ s ago)\\) via ci 3 `));
      // The policy: rule, pick and why.
      assert.ok(page.includes('app image app semver >=1.0.0 1.1.0 2 candidates of 3 tags 1 skipped: not semver'), 'policy row');
      // The automation: git URL without its password, branch, paths, fields beside the pick, commits.
      assert.ok(!html.includes('git-secret-1'), 'no secrets');
      assert.ok(page.includes(`git ${healthyUrl.replace('bot:git-secret-1@', '')} branch main paths apps`), 'git facts');
      assert.ok(page.includes(`apps/app.yaml:2 app image ${registry.host}/acme/app:1.1.0 ${registry.host}/acme/app:1.1.0 up to date`), 'image field');
      assert.ok(page.includes('apps/app.yaml:4 app tag 1.1.0 1.1.0 up to date'), 'tag field');
      assert.ok(page.includes(`Recent commits on main commit subject time ${log[0]!.sha.slice(0, 12)} Update ${registry.host}/acme/app to 1.1.0`), 'newest commit');
      assert.match(page, new RegExp(`${log[1]!.sha.slice(0, 12)} Initial commit 2024-01-01 00:00:00 UTC \\(\\d+ days ago\\)`), 'older commit with its age');
      // The review automation: push branch, PR link, fields still behind on main.
      assert.ok(page.includes('branch main → pushes to tagpilot/app for review'), 'push branch');
      assert.ok(html.includes('<a href="https://github.example.test/acme/review/pull/7">#7</a>'), 'PR link');
      assert.ok(page.includes('apps/app.yaml:4 app tag 1.0.0 1.1.0 in review'), 'field waiting in review');
    } finally {
      await s.service.stop();
    }
  });

  it('held back: the reverted tag, why, and the value Git keeps', async () => {
    const url = await gitServer.createRepo('held', {
      'apps/app.yaml': marked(registry.host, '1.0.0'),
      'apps/typo.yaml': `image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "ap"}\n`,
    });
    const s = await serve('held-back', `automations: [{ name: fleet, git: { url: ${url} }, interval: 0 }]`);
    try {
      await waitFor('the first push', async () => (await s.status()).automations[0]!.lastCommit !== null);
      await s.service.queue.idle();
      const [ours] = await gitServer.log('held', 'main');
      const revert = await gitServer.commitAsHuman('held', 'main', { 'apps/app.yaml': marked(registry.host, '1.0.0') }, `Revert "${ours!.subject}"\n\nThis reverts commit ${ours!.sha}.\n`);
      const run = await fetch(`${s.base}/api/v1/automations/fleet/run`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
      assert.equal(run.status, 202);
      await waitFor('the run after the revert', async () => (await s.status()).automations[0]!.heldBack.length > 0);
      await s.service.queue.idle();

      const html = await s.page();
      const page = text(html);
      assertFrame(page, html);
      assert.ok(page.includes('all 1 automation up to date (1 tag held back by a revert; 1 problem in the files)'), 'summary');
      assert.ok(page.includes('Problems in the files: apps/typo.yaml:1 marker names unknown policy "ap"'), 'problems');
      assert.ok(page.includes(`apps/typo.yaml:1 ap image ${registry.host}/acme/app:1.0.0 none unknown policy`), 'a marker naming no policy');
      assert.ok(page.includes(`1.1.0 held back in fleet (reverted by ${revert.slice(0, 12)})`), 'policy explanation');
      assert.ok(page.includes(`fleet held back`), 'badge');
      assert.ok(page.includes(`app: 1.1.0 — commit ${ours!.sha.slice(0, 12)} was reverted by ${revert.slice(0, 12)}`), 'held-back list');
      assert.ok(page.includes('apps/app.yaml:4 app tag 1.0.0 1.1.0 held back'), 'field beside the pick');
      assert.ok(page.includes(`Recent commits on main commit subject time ${revert.slice(0, 12)} Revert "${ours!.subject}"`), 'the revert heads the commits');
    } finally {
      await s.service.stop();
    }
  });

  it('failing: what fails since when, and the change it cannot push and why', async () => {
    const url = await gitServer.createRepo('failing', {
      'apps/app.yaml': marked(registry.host, '1.0.0'),
      'apps/broken.yaml': `a: [1\nimage: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n`,
    });
    gitServer.setPreReceiveHook('failing', rejectingHook('protected branch: main takes changes by review only'));
    const s = await serve('failing', `automations: [{ name: fleet, git: { url: ${url} }, interval: 0 }]`);
    try {
      await waitFor('the failed push', async () => (await s.status()).automations[0]!.unpushed !== null, 30_000);
      const status = await s.status();
      const [fleet] = status.automations;
      assert.equal(status.summary.state, 'failing');
      const since = `${fleet!.failingSince!.slice(0, 10)} ${fleet!.failingSince!.slice(11, 19)} UTC`;
      assert.equal(status.summary.text, `1 failing: automation fleet (since ${since}); 1 problem in the files`);
      assert.ok(fleet!.failingSince && fleet!.unpushed);
      assert.deepEqual(fleet!.unpushed.changes.map((c) => [c.file, c.from, c.to]), [
        ['apps/app.yaml', '1.0.0', '1.1.0'],
        ['apps/app.yaml', '1.0.0', '1.1.0'],
      ]);

      const html = await s.page();
      const page = text(html);
      assertFrame(page, html);
      assert.ok(page.includes(status.summary.text), 'summary');
      assert.match(page, /automation fleet failing since \S+ \S+ UTC \((just now|\d+ s ago)\): .*protected branch: main takes changes by review only/, 'failing since');
      assert.match(page, /Cannot push \(since \S+ \S+ UTC \((just now|\d+ s ago)\)\): for the reason above app: /, 'why');
      assert.equal(fleet!.unpushed.reason, fleet!.error, 'the reason, in the JSON');
      assert.match(fleet!.error!, /protected branch: main takes changes by review only/);
      assert.ok(page.includes(`app: ${registry.host}/acme/app 1.0.0 → 1.1.0 (apps/app.yaml:2, image)`), 'the change');
      assert.ok(page.includes(`app: ${registry.host}/acme/app 1.0.0 → 1.1.0 (apps/app.yaml:4, tag)`), 'the other change');
      assert.ok(page.includes('apps/app.yaml:4 app tag 1.0.0 1.1.0 not pushed'), 'field beside the pick');
      assert.ok(page.includes('Recent commits on main'), 'commits');
      assert.match(page, /Problems in the files: apps\/broken\.yaml:2 skipped: not valid YAML/, 'problems of the run that failed to push');
    } finally {
      await s.service.stop();
    }
  });

  it('empty: names the config file and the docs', async () => {
    const s = await serve('empty', null);
    try {
      const html = await s.page();
      const page = text(html);
      assertFrame(page, html);
      assert.ok(page.includes('nothing configured yet'), 'summary');
      assert.ok(page.includes(`tagpilot is running with ${s.configPath}, which names no images, policies or automations`), 'config file');
      assert.ok(page.includes('docs/configuration.md describes every key'), 'docs');
      assert.ok(page.includes(`npx tagpilot check --config ${s.configPath}`), 'how to check it');
    } finally {
      await s.service.stop();
    }
  });
});
