// SPEC §2 promotion, end to end through the CLI against a real git server and registry: the source's
// history is written with explicit commit dates (as tagpilot would have written it hours ago), so the
// soak clock is tested without waiting.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { defaultCommitMessage } from '../../src/git/commit-message.js';
import { commitScript } from '../helpers/git-scripts.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const HOUR = 3_600_000;

describe('promotion between environments', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let repository: string;
  const marked = (tag: string, policy: string) => `image: ${repository}:${tag} # {"$imagepolicy": "${policy}"}\n`;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('promotion')]);
    repository = `${registry.host}/acme/app`;
    for (const tag of ['1.0.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0']) await registry.pushImage('acme/app', tag);
  });
  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  /** A fleet repository with one folder per environment, every file on 1.0.0. */
  const createFleet = (name: string, environments: string[]) =>
    gitServer.createRepo(name, Object.fromEntries(environments.map((env) => [`${env}/app.yaml`, marked('1.0.0', `app-${env}`)])));

  /** Writes, straight into the bare repository, the commit tagpilot's `automation` would have written `hoursAgo`. */
  const tagpilotCommit = async (repo: string, automation: string, env: string, from: string, to: string, hoursAgo: number) => {
    const file = `${env}/app.yaml`;
    const message = defaultCommitMessage(automation, [{ file, policy: `app-${env}`, repository, from, to }]);
    return commitAt(repo, { [file]: marked(to, `app-${env}`) }, message, hoursAgo);
  };
  const commitAt = async (repo: string, files: Record<string, string>, message: string, hoursAgo: number) => {
    const date = new Date(Date.now() - hoursAgo * HOUR).toISOString();
    const script = join(dir, `commit-${process.hrtime.bigint()}.sh`);
    await writeFile(script, commitScript({ branch: 'main', files, message, author: { name: 'tagpilot', email: 'tagpilot@localhost', date } }));
    try {
      return (await runCommand('sh', [script], { cwd: gitServer.repoPath(repo) })).stdout.trim();
    } finally {
      await rm(script, { force: true });
    }
  };

  /** A config with staging taking every release and prod taking what soaked `soak` in staging. */
  const twoEnvironments = async (name: string, url: string, options: { soak?: string; stateDir?: string; notify?: string } = {}) => {
    const path = join(dir, `${name}-${process.hrtime.bigint()}.yaml`);
    await writeFile(
      path,
      `images: [{ name: app, repository: ${repository}, interval: 0 }]
policies:
  - { name: app-staging, image: app, semver: '>=1.0.0' }
  - { name: app-prod, image: app, semver: '>=1.0.0', promotion: { from: staging, soak: ${options.soak ?? '24h'} } }
automations:
  - { name: staging, git: { url: ${url} }, paths: [staging], policies: [app-staging] }
  - { name: prod, git: { url: ${url} }, paths: [prod], policies: [app-prod] }
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${options.stateDir ?? join(dir, `${name}-state`)}
${options.notify ? `notifications: [{ name: hook, type: webhook, url: '${options.notify}', events: [promotion-waiting] }]\n` : ''}`,
    );
    return path;
  };

  const cli = async (command: string, configPath: string, extra: string[] = []) => {
    let out = '';
    const code = await runCli([command, '--config', configPath, ...extra], { out: (t) => (out += t), err: () => {}, env: { TAGPILOT_LOG_LEVEL: 'silent' } });
    assert.equal(code, 0, out);
    return out;
  };
  const prodTag = async (repo: string) => /:([^:\s]+) #/.exec(await gitServer.readFile(repo, 'main', 'prod/app.yaml'))![1];

  it('promotes a tag committed to staging 25 h ago with a 24 h soak, naming where it comes from', async () => {
    const url = await createFleet('soaked', ['staging', 'prod']);
    const source = await tagpilotCommit('soaked', 'staging', 'staging', '1.0.0', '1.4.0', 25);
    const config = await twoEnvironments('soaked', url);

    const out = await cli('reconcile', config, ['--automation', 'prod']);
    assert.match(out, new RegExp(`prod: pushed [0-9a-f]{12} to main: Promote ${repository.replace(/\./g, '\\.')} 1\\.4\\.0 from staging after 25h`));
    assert.equal(await prodTag('soaked'), '1.4.0');
    const [promoted] = await gitServer.log('soaked', 'main');
    assert.match(promoted!.body, new RegExp(`Tagpilot-Promoted-From: staging@${source}`));
    assert.match(promoted!.body, /- app-prod: \S+ 1\.0\.0 -> 1\.4\.0/, 'the change line stays, so a revert of the promotion holds too');
  });

  it('does not promote a tag committed 2 h ago, and plan says how long is left', async () => {
    const url = await createFleet('young', ['staging', 'prod']);
    await tagpilotCommit('young', 'staging', 'staging', '1.0.0', '1.4.0', 2);
    // A local receiver for the promotion-waiting notification the reconcile sends (SPEC §1 notifications).
    const received: Array<Record<string, unknown>> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const config = await twoEnvironments('young', url, { notify: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events` });
    try {
      const plan = await cli('plan', config, ['--automation', 'prod']);
      assert.match(plan, /# automation prod: no change/);
      assert.match(plan, /# app-prod: waiting for promotion: 1\.4\.0: in staging for 2h of 24h/);
      assert.equal(received.length, 0, 'a plan tells no one');
      const run = await cli('reconcile', config, ['--automation', 'prod']);
      assert.match(run, /prod: no change/);
      assert.equal(await prodTag('young'), '1.0.0');
      assert.deepEqual(
        received.map((e) => [e.event, e.automation, e.policy, e.tag, e.from, e.soakSeconds]),
        [['promotion-waiting', 'prod', 'app-prod', '1.4.0', 'staging', 86_400]],
        JSON.stringify(received),
      );
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('never promotes a tag reverted in staging, and counts a tag replaced after 30 h as soaked', async () => {
    const url = await createFleet('history', ['staging', 'prod']);
    await tagpilotCommit('history', 'staging', 'staging', '1.0.0', '1.3.0', 80);
    const bad = await tagpilotCommit('history', 'staging', 'staging', '1.3.0', '1.6.0', 50);
    await commitAt('history', { 'staging/app.yaml': marked('1.3.0', 'app-staging') }, `Revert "x"\n\nThis reverts commit ${bad}.\n`, 49);
    const soaked = await tagpilotCommit('history', 'staging', 'staging', '1.3.0', '1.4.0', 40);
    await tagpilotCommit('history', 'staging', 'staging', '1.4.0', '1.5.0', 10);
    const config = await twoEnvironments('history', url);

    const plan = await cli('plan', config, ['--automation', 'prod']);
    assert.match(plan, /# app-prod: waiting for promotion: 1\.5\.0: in staging for 10h of 24h/);
    assert.doesNotMatch(plan, /1\.6\.0/, 'the reverted tag is not even waiting');
    await cli('reconcile', config, ['--automation', 'prod']);
    assert.equal(await prodTag('history'), '1.4.0');
    const [promoted] = await gitServer.log('history', 'main');
    assert.match(promoted!.subject, /1\.4\.0 from staging after 30h$/);
    assert.match(promoted!.body, new RegExp(`Tagpilot-Promoted-From: staging@${soaked}`));
  });

  it('does not promote a soaked tag the registry no longer lists', async () => {
    const url = await createFleet('deleted', ['staging', 'prod']);
    await tagpilotCommit('deleted', 'staging', 'staging', '1.0.0', '1.4.0', 60);
    await tagpilotCommit('deleted', 'staging', 'staging', '1.4.0', '9.9.9', 30);
    await cli('reconcile', await twoEnvironments('deleted', url), ['--automation', 'prod']);
    assert.equal(await prodTag('deleted'), '1.4.0', '9.9.9 soaked in staging but is gone from the registry');
  });

  it('reaches the same picks from a fresh stateDir', async () => {
    const url = await createFleet('fresh', ['staging', 'prod']);
    await tagpilotCommit('fresh', 'staging', 'staging', '1.0.0', '1.3.0', 60);
    await tagpilotCommit('fresh', 'staging', 'staging', '1.3.0', '1.4.0', 30);
    await tagpilotCommit('fresh', 'staging', 'staging', '1.4.0', '1.5.0', 3);
    const first = await cli('plan', await twoEnvironments('fresh', url, { stateDir: join(dir, 'fresh-a') }), ['--automation', 'prod']);
    const second = await cli('plan', await twoEnvironments('fresh', url, { stateDir: join(dir, 'fresh-b') }), ['--automation', 'prod']);
    assert.match(first, /-image: \S+:1\.0\.0 #.*\n\+image: \S+:1\.4\.0 #/);
    assert.match(first, /1\.5\.0: in staging for 3h of 24h/);
    assert.equal(second, first);
  });

  it('soak 0 promotes as soon as the source has committed', async () => {
    const url = await createFleet('instant', ['staging', 'prod']);
    const config = await twoEnvironments('instant', url, { soak: '0' });
    // Staging takes the newest release now; prod follows on the next pass (it read staging before staging wrote).
    await cli('reconcile', config);
    assert.match(await gitServer.readFile('instant', 'main', 'staging/app.yaml'), /:1\.6\.0 #/);
    await cli('reconcile', config);
    assert.equal(await prodTag('instant'), '1.6.0');
  });

  it('follows a three-stage chain dev -> staging -> prod', async () => {
    const url = await createFleet('chain', ['dev', 'staging', 'prod']);
    await tagpilotCommit('chain', 'dev', 'dev', '1.0.0', '1.4.0', 50);
    await tagpilotCommit('chain', 'dev', 'dev', '1.4.0', '1.5.0', 3);
    const path = join(dir, 'chain.yaml');
    await writeFile(
      path,
      `images: [{ name: app, repository: ${repository}, interval: 0 }]
policies:
  - { name: app-dev, image: app, semver: '>=1.0.0 <1.6.0' }
  - { name: app-staging, image: app, semver: '>=1.0.0', promotion: { from: dev, soak: 24h } }
  - { name: app-prod, image: app, semver: '>=1.0.0', promotion: { from: staging, soak: 0 } }
automations:
  - { name: dev, git: { url: ${url} }, paths: [dev], policies: [app-dev] }
  - { name: staging, git: { url: ${url} }, paths: [staging], policies: [app-staging] }
  - { name: prod, git: { url: ${url} }, paths: [prod], policies: [app-prod] }
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${join(dir, 'chain-state')}
`,
    );
    const plan = await cli('plan', path);
    assert.match(plan, /# app-staging: waiting for promotion: 1\.5\.0: in dev for 3h of 24h/);
    await cli('reconcile', path);
    await cli('reconcile', path);
    const read = (env: string) => gitServer.readFile('chain', 'main', `${env}/app.yaml`);
    assert.match(await read('dev'), /:1\.5\.0 #/);
    assert.match(await read('staging'), /:1\.4\.0 #/, 'staging takes only what soaked 24 h in dev');
    assert.match(await read('prod'), /:1\.4\.0 #/, 'prod takes what staging committed');
    const log = await gitServer.log('chain', 'main');
    const staging = log.find((c) => /Promote \S+ 1\.4\.0 from dev after 47h/.test(c.subject));
    assert.ok(staging, log.map((c) => c.subject).join('\n'));
    const prod = log.find((c) => /Promote \S+ 1\.4\.0 from staging after/.test(c.subject));
    assert.ok(prod, log.map((c) => c.subject).join('\n'));
    assert.match(prod.body, new RegExp(`Tagpilot-Promoted-From: staging@${staging.sha}`));
  });
});
