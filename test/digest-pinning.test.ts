// digest: true end to end: the pick is written as tag@digest, and re-pushing the same tag with new
// content is a new pick and a new commit.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli.js';
import { startGitServer, type TestGitServer } from './helpers/git-server.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

describe('digest pinning', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;
  let configPath: string;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([startRegistry(), startGitServer(), makeTempDir('digest')]);
    const url = await gitServer.createRepo('fleet', {
      'app.yaml': `spec:\n  image: ${registry.host}/acme/app:1.0.0 # {"$imagepolicy": "app"}\n  tag: "1.0.0" # {"$imagepolicy": "app:tag"}\n  digest: none # {"$imagepolicy": "app:digest"}\n`,
    });
    configPath = join(dir, 'tagpilot.yaml');
    await writeFile(
      configPath,
      `images: [{ name: app, repository: ${registry.host}/acme/app, interval: 0 }]
policies: [{ name: app, image: app, semver: '>=1.0.0', digest: true }]
automations: [{ name: fleet, git: { url: ${url} } }]
registries: [{ host: ${registry.host}, insecure: true }]
stateDir: ${join(dir, 'state')}
`,
    );
  });
  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  const reconcile = async () => {
    let out = '';
    const code = await runCli(['reconcile', '--config', configPath], { out: (t) => (out += t), err: () => {}, env: { TAGPILOT_LOG_LEVEL: 'silent' } });
    assert.equal(code, 0, out);
    return out;
  };

  it('writes tag@digest, then follows a re-push of the same tag', async () => {
    const first = await registry.pushImage('acme/app', '1.1.0', { content: 'build one' });
    await reconcile();
    const text = await gitServer.readFile('fleet', 'main', 'app.yaml');
    assert.equal(
      text,
      `spec:\n  image: ${registry.host}/acme/app:1.1.0@${first.digest} # {"$imagepolicy": "app"}\n  tag: "1.1.0" # {"$imagepolicy": "app:tag"}\n  digest: ${first.digest} # {"$imagepolicy": "app:digest"}\n`,
    );

    const second = await registry.pushImage('acme/app', '1.1.0', { content: 'build two' });
    assert.notEqual(second.digest, first.digest);
    await reconcile();
    const after = await gitServer.readFile('fleet', 'main', 'app.yaml');
    assert.ok(after.includes(`:1.1.0@${second.digest} #`), after);
    assert.ok(after.includes(`digest: ${second.digest} #`), after);
    const log = await gitServer.log('fleet', 'main');
    assert.equal(log.length, 3);
    assert.match(log[0]!.body, new RegExp(`1\\.1\\.0@${first.digest} -> 1\\.1\\.0@${second.digest}`));
  });
});
