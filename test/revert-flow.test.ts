// SPEC §4 "reverts are respected", as a user sees it: revert tagpilot's commit, and plan and
// reconcile hold that tag back (and say so) until a newer tag appears.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli.js';
import { startGitServer, type TestGitServer } from './helpers/git-server.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

describe('revert flow through the CLI', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let configPath: string;
  const original = (host: string) => `image: ${host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n`;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('revert')]);
    const url = await gitServer.createRepo('fleet', { 'app.yaml': original(registry.host) });
    configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${registry.host}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0' }]
automations: [{ name: fleet, git: { url: ${url} } }]
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${join(dir, 'state')}
`,
    );
    await registry.pushImage('acme/app', '1.0.0');
  });
  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  const cli = async (command: string) => {
    let out = '';
    const code = await runCli([command, '--config', configPath], { out: (t) => (out += t), err: () => {}, env: { TAGPILOT_LOG_LEVEL: 'silent' } });
    assert.equal(code, 0, out);
    return out;
  };

  it('holds a reverted tag back, says so, and writes the next one', async () => {
    await registry.pushImage('acme/app', '1.1.0');
    await cli('reconcile');
    const [ours] = await gitServer.log('fleet', 'main');
    assert.match(ours!.subject, /to 1\.1\.0$/);

    await gitServer.commitAsHuman('fleet', 'main', { 'app.yaml': original(registry.host) }, `Revert "${ours!.subject}"\n\nThis reverts commit ${ours!.sha}.\n`);

    const plan = await cli('plan');
    assert.match(plan, /# automation fleet: no change/);
    assert.match(plan, new RegExp(`# app: .*acme/app:1\\.1\\.0 held back: ${ours!.sha.slice(0, 12)} was reverted by [0-9a-f]{12}`));
    const run = await cli('reconcile');
    assert.match(run, /fleet: no change/);
    assert.match(run, /fleet: app: .*acme\/app:1\.1\.0 held back/);
    assert.equal(await gitServer.readFile('fleet', 'main', 'app.yaml'), original(registry.host));

    await registry.pushImage('acme/app', '1.1.1');
    assert.match(await cli('reconcile'), /fleet: pushed [0-9a-f]{12} to main: .*to 1\.1\.1/);
    assert.match(await gitServer.readFile('fleet', 'main', 'app.yaml'), /:1\.1\.1 #/);
  });
});
