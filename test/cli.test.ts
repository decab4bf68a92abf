// The command line as users and scripts see it: exit codes, and only results on standard output.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli.js';
import { getFreePort } from './helpers/free-port.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';
import { waitFor } from './helpers/wait-for.js';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { TAGPILOT_LOG_LEVEL: 'silent', ...env },
  });
  return { code, out, err };
}

describe('tagpilot CLI', () => {
  let registry: TestRegistry;
  let dir: string;
  let configPath: string;
  before(async () => {
    [registry, dir] = await Promise.all([startRegistry(), makeTempDir('cli')]);
    for (const tag of ['1.0.0', '1.2.0', 'v1.10.0', '2.0.0-rc.1', 'latest', 'sha256-abc.sig', 'main-7', 'main-12']) {
      await registry.pushImage('acme/app', tag);
    }
    configPath = join(dir, 'tagpilot.yaml');
    await writeFile(configPath, `registries:\n  - host: ${registry.host}\n    insecure: true\n`);
  });
  after(async () => {
    await registry?.stop();
    if (dir) await removeTempDir(dir);
  });

  it('check: 0 and a summary for a valid config', async () => {
    const run = await cli(['check', '--config', configPath]);
    assert.equal(run.code, 0);
    assert.match(run.out, /valid \(0 images, 0 policies, 0 automations\)/);
  });

  it('check: 1 and every problem on stderr for an invalid one', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, "images:\n  - name: Bad Name\n    repository: x/y\n    colour: blue\n");
    const run = await cli(['check', '--config', bad]);
    assert.equal(run.code, 1);
    assert.equal(run.out, '');
    assert.match(run.err, /bad\.yaml:2:11: images\[0\]\.name: expected a name/);
    assert.match(run.err, /bad\.yaml:4:5: unknown key "colour"/);
  });

  it('check: TAGPILOT_CONFIG chooses the file', async () => {
    assert.equal((await cli(['check'], { TAGPILOT_CONFIG: configPath })).code, 0);
    assert.equal((await cli(['check'], { TAGPILOT_CONFIG: join(dir, 'missing.yaml') })).code, 1);
  });

  it('scan --json: tags, the pick and its digest', async () => {
    const run = await cli(['scan', `${registry.host}/acme/app`, '--semver', '>=1.0.0', '--json', '--config', configPath]);
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out) as { repository: string; tags: string[]; latest: { tag: string; digest: string } };
    assert.equal(report.repository, `${registry.host}/acme/app`);
    assert.ok(!report.tags.includes('sha256-abc.sig'), 'cosign signatures are excluded by default');
    assert.equal(report.tags.length, 7);
    assert.equal(report.latest.tag, 'v1.10.0');
    assert.match(report.latest.digest, /^sha256:[0-9a-f]{64}$/);
  });

  it("scan applies the exclude list of the configured image that watches the repository", async () => {
    const withImage = join(dir, 'with-image.yaml');
    await writeFile(
      withImage,
      `registries:\n  - host: ${registry.host}\n    insecure: true\nimages:\n  - name: app\n    repository: ${registry.host}/acme/app\n    exclude: ['^main-', '^latest$']\n`,
    );
    const run = await cli(['scan', `${registry.host}/acme/app`, '--alphabetical', 'asc', '--json', '--config', withImage]);
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out) as { tags: string[]; excluded: number; latest: { tag: string } };
    assert.deepEqual(report.tags.sort(), ['1.0.0', '1.2.0', '2.0.0-rc.1', 'sha256-abc.sig', 'v1.10.0'], 'a list given replaces the default');
    assert.equal(report.excluded, 3);
    assert.equal(report.latest.tag, 'v1.10.0');
  });

  it('scan with --numerical, --filter and --extract', async () => {
    const run = await cli(
      ['scan', `${registry.host}/acme/app`, '--numerical', 'asc', '--filter', '^main-(?<n>\\d+)$', '--extract', '$n', '--config', configPath],
    );
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^latest: main-12@sha256:/m);
  });

  it("scan takes Flux's spellings: a (?P<name>) filter and a Masterminds range", async () => {
    const filtered = await cli(['scan', `${registry.host}/acme/app`, '--numerical', 'asc', '--filter', '^main-(?P<n>\\d+)$', '--extract', '$n', '--json', '--config', configPath]);
    assert.equal(filtered.code, 0, filtered.err);
    assert.equal((JSON.parse(filtered.out) as { latest: { tag: string } }).latest.tag, 'main-12');
    const ranged = await cli(['scan', `${registry.host}/acme/app`, '--semver', '>=1.0.0, <2.0.0, !=1.10.0', '--json', '--config', configPath]);
    assert.equal(ranged.code, 0, ranged.err);
    assert.equal((JSON.parse(ranged.out) as { latest: { tag: string } }).latest.tag, '1.2.0');
    const refused = await cli(['scan', `${registry.host}/acme/app`, '--filter', '^main-(?i)x']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--filter: pattern "\^main-\(\?i\)x": inline flags are translated only at the very start/);
  });

  it('scan with no pick: JSON with latest null and the reason, exit 1', async () => {
    const run = await cli(['scan', `${registry.host}/acme/app`, '--semver', '>=5', '--json', '--config', configPath]);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.out) as { latest: null; reason: string };
    assert.equal(report.latest, null);
    assert.match(report.reason, /range/);
  });

  it('scan with a bad flag names it and exits 2', async () => {
    const run = await cli(['scan', `${registry.host}/acme/app`, '--semver', 'not a range']);
    assert.equal(run.code, 2);
    assert.match(run.err, /--semver/);
    assert.equal(run.out, '');
  });

  it('scan of a missing repository: exit 1 with the repository named', async () => {
    const run = await cli(['scan', `${registry.host}/acme/missing`, '--json', '--config', configPath]);
    assert.equal(run.code, 1);
    assert.match(JSON.parse(run.out).reason, /acme\/missing/);
  });

  it('unknown command: usage and exit 2', async () => {
    const run = await cli(['frobnicate']);
    assert.equal(run.code, 2);
    assert.match(run.err, /usage: tagpilot/);
  });
});

describe('tagpilot schema and import', () => {
  it('schema prints the JSON Schema the editors use', async () => {
    const run = await cli(['schema']);
    assert.equal(run.code, 0);
    const schema = JSON.parse(run.out) as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(schema.properties).sort(), ['automations', 'images', 'notifications', 'policies', 'queue', 'registries', 'server', 'stateDir', 'webhooks']);
  });

  it('import argocd converts the example Applications into a config check accepts', async () => {
    const run = await cli(['import', 'argocd', new URL('../examples/argocd', import.meta.url).pathname]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^automations:/m);
    assert.match(run.err, /^warning: .*git\.auth reads GIT_CREDS_USERNAME/m);
    const dir = await makeTempDir('import-argocd');
    try {
      const configPath = join(dir, 'tagpilot.yaml');
      await writeFile(configPath, run.out);
      const check = await cli(['check', '--config', configPath], { GIT_CREDS_USERNAME: 'u', GIT_CREDS_PASSWORD: 'p' });
      assert.equal(check.code, 0, check.err);
      assert.match(check.out, /valid \(3 images, 3 policies, 2 automations\)/);
    } finally {
      await removeTempDir(dir);
    }
  });

  it('import of an unknown source: usage naming both, exit 2', async () => {
    const run = await cli(['import', 'keel', 'x.yaml']);
    assert.equal(run.code, 2);
    assert.match(run.err, /tagpilot import flux\|argocd/);
  });

  it('import flux converts the example objects; notes go to stderr', async () => {
    const run = await cli(['import', 'flux', new URL('../examples/flux', import.meta.url).pathname]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^images:/m);
    assert.match(run.out, /^policies:/m);
    assert.match(run.out, /^automations:/m);
  });

  it('import with nothing to read exits 2', async () => {
    const run = await cli(['import', 'flux', '/nonexistent/path.yaml']);
    assert.equal(run.code, 2);
    assert.equal(run.out, '');
  });
});

describe('tagpilot reconcile and a git server that never answers', () => {
  let dir: string;
  let blackHole: Server;
  const open = new Set<Socket>();
  before(async () => {
    dir = await makeTempDir('cli-black-hole');
    // Accepts connections, reads what comes and never answers: a remote stuck behind a proxy.
    blackHole = createServer((socket) => {
      open.add(socket);
      socket.resume();
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => blackHole?.close(resolve));
    if (dir) await removeTempDir(dir);
  });

  // The timeout catches a hang: the git client's own idle limit is 30 s.
  it('neither waits for the fetch it started ahead before scanning, nor leaves it running when no run takes it', { timeout: 10_000 }, async () => {
    const { port } = blackHole.address() as AddressInfo;
    const closedPort = await getFreePort();
    const configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `stateDir: ${join(dir, 'state')}
registries:
  - host: 127.0.0.1:${closedPort}
    insecure: true
images:
  - name: app
    repository: 127.0.0.1:${closedPort}/acme/app
policies:
  - name: app
    image: app
    semver: '>=1.0.0'
automations:
  - name: fleet
    git:
      url: http://127.0.0.1:${port}/fleet.git
      branch: main
      author: { name: tagpilot, email: tagpilot@example.test }
    paths: [apps]
`,
    );
    const run = await cli(['reconcile', '--config', configPath]);
    assert.equal(run.code, 1);
    assert.match(run.out, /image app: failed: .*ECONNREFUSED/);
    // The fetch ahead had connected; reconcile abandons it once no run can take it.
    await waitFor('the abandoned fetch to close its connection', async () => open.size === 0, 5_000);
  });
});
