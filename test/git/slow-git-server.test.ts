// A git server that takes its time: a push behind a pre-receive hook that is silent for longer than
// Node's default keep-alive socket timeout (5 s) still lands, and the idle limit we set, not a hidden
// one, decides when a silent server has failed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAutomation, type RunAutomationOptions } from '../../src/automation/run-automation.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { TransientError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const APP = 'ghcr.io/acme/app';
const marked = (tag: string) => `kind: Deployment\nspec:\n  image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;
/** Past the 5 s that Node's global agent allowed, which is the point; the one test that waits. */
const HOOK_SECONDS = 6;
const slowHook = (seconds: number) => `#!/bin/sh\ncat >/dev/null\nsleep ${seconds}\nexit 0\n`;

describe('a git server that answers late', () => {
  let server: TestGitServer;
  let dir: string;
  let count = 0;
  const log = createLogger('silent');
  const picks = new Map([['app', { policy: 'app', repository: APP, tag: '1.1.0' }]]);

  before(async () => {
    [server, dir] = await Promise.all([startGitServer(), makeTempDir('slow-git')]);
  });
  after(async () => {
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  async function fixture(hookSeconds: number) {
    const name = `slow-${++count}`;
    const url = await server.createRepo(name, { 'apps/app.yaml': marked('1.0.0') });
    server.setPreReceiveHook(name, slowHook(hookSeconds));
    const automation = AutomationConfig.parse({
      name: 'fleet',
      git: { url, branch: 'main', author: { name: 'tagpilot', email: 'tagpilot@example.test' } },
      paths: ['apps'],
    });
    const options: RunAutomationOptions = { stateDir: join(dir, name), log, knownPolicies: new Set(['app']), pushRetryDelayMs: 1 };
    const pushes = () => server.requests.filter((r) => r.path === `/${name}.git/git-receive-pack`);
    return { name, automation, options, pushes };
  }

  it(`a push behind a pre-receive hook silent for ${HOOK_SECONDS} s lands at the first try`, { timeout: 30_000 }, async () => {
    const { name, automation, options, pushes } = await fixture(HOOK_SECONDS);
    const result = await runAutomation(automation, picks, options);
    assert.ok(result.commit);
    assert.equal(result.pushAttempts, 1);
    assert.deepEqual(
      pushes().map((r) => r.status),
      [200],
      'one push, not a retry after a timeout',
    );
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.1.0'));
  });

  it('a server silent for longer than the idle limit fails with that limit in the message', { timeout: 15_000 }, async () => {
    const { name, automation, options } = await fixture(3);
    await assert.rejects(runAutomation(automation, picks, { ...options, http: { timeouts: { idleMs: 500 } } }), (err: Error) => {
      assert.ok(err instanceof TransientError);
      assert.match(err.message, new RegExp(`/${name}\\.git: no answer within 500 ms$`));
      return true;
    });
  });
});
