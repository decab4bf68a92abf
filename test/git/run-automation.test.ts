// runAutomation against a real smart-HTTP git server: races with human pushes, the review branch,
// reverts, a damaged clone, the blob memo, network trouble and refused credentials.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { runAutomation, type RankedPick, type RunAutomationOptions } from '../../src/automation/run-automation.js';
import { FETCHED_AHEAD_FRESH_MS, fetchAhead } from '../../src/automation/run-automation-clone.js';
import { AutomationConfig } from '../../src/config/schema.js';
import { PushDeclinedError, TransientError, UnauthorizedError } from '../../src/errors.js';
import { GitRepository, HISTORY_DEPTH } from '../../src/git/git-repository.js';
import { withGitdirLock } from '../../src/git/gitdir-lock.js';
import { FileStateStore } from '../../src/state/file-state-store.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { createLogger } from '../../src/log.js';
import type { ImagePick } from '../../src/update/apply-setters.js';
import { humanCommitThenRejectHook, rejectingHook } from '../helpers/git-scripts.js';
import { HUMAN_AUTHOR, startGitServer, withGitServer, type TestGitServer } from '../helpers/git-server.js';
import { runCommand } from '../helpers/run-command.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const APP = 'ghcr.io/acme/app';
const marked = (tag: string) => `kind: Deployment\nspec:\n  image: ${APP}:${tag} # {"$imagepolicy": "app"}\n`;
const FILES = {
  'apps/app.yaml': marked('1.0.0'),
  'apps/config.yaml': 'kind: ConfigMap\ndata: { a: b }\n',
  'README.md': 'fleet\n',
};

function picks(tag: string, extra: ImagePick[] = []): Map<string, ImagePick> {
  return new Map([['app', { policy: 'app', repository: APP, tag }], ...extra.map((p) => [p.policy, p] as const)]);
}

function automation(url: string, overrides: Record<string, unknown> = {}, git: Record<string, unknown> = {}) {
  return AutomationConfig.parse({
    name: 'fleet',
    git: { url, branch: 'main', author: { name: 'tagpilot', email: 'tagpilot@example.test' }, ...git },
    paths: ['apps'],
    ...overrides,
  });
}

describe('runAutomation against a git server', () => {
  let server: TestGitServer;
  let dir: string;
  let repoCount = 0;
  const log = createLogger('silent');

  let redis: RedisServer;
  const opened: StateStore[] = [];

  before(async () => {
    [server, dir, redis] = await Promise.all([startGitServer(), makeTempDir('run-automation'), startRedis()]);
  });
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await redis?.stop();
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  /** A fresh repository and state dir per test, so tests do not see each other's commits. */
  async function fixture(files: Record<string, string> = FILES) {
    const name = `fleet-${++repoCount}`;
    const url = await server.createRepo(name, files);
    const stateDir = join(dir, `state-${repoCount}`);
    const options: RunAutomationOptions = { stateDir, log, knownPolicies: new Set(['app', 'web']), pushRetryDelayMs: 1 };
    const pushes = () => server.requests.filter((r) => r.path === `/${name}.git/git-receive-pack`).length;
    return { name, url, stateDir, options, pushes };
  }

  it('commits the change once and stays quiet on the next run', async () => {
    const { name, url, options, pushes } = await fixture();
    const first = await runAutomation(automation(url), picks('1.2.3'), options);
    assert.match(first.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(first.subject, `Update ${APP} to 1.2.3`);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.3'));
    const [head] = await server.log(name, 'main');
    assert.equal(head!.sha, first.commit);
    assert.match(head!.body, /- app: ghcr\.io\/acme\/app 1\.0\.0 -> 1\.2\.3/);
    assert.match(head!.body, /Tagpilot-Automation: fleet/);

    const second = await runAutomation(automation(url), picks('1.2.3'), options);
    assert.equal(second.commit, null);
    assert.equal(pushes(), 1, 'no push when nothing changed');
  });

  it('a human push between our fetch and our push ends with both commits, linear', async () => {
    const { name, url, options } = await fixture();
    server.setPreReceiveHook(
      name,
      humanCommitThenRejectHook({ branch: 'main', files: { 'apps/config.yaml': 'kind: ConfigMap\ndata: { a: human }\n' }, message: 'Human edit', author: HUMAN_AUTHOR }),
    );
    const result = await runAutomation(automation(url), picks('1.2.3'), options);
    assert.equal(result.pushAttempts, 2);
    const log = await server.log(name, 'main');
    assert.deepEqual(log.map((c) => c.subject), [`Update ${APP} to 1.2.3`, 'Human edit', 'Initial commit']);
    assert.deepEqual(log[0]!.parents, [log[1]!.sha], 'our commit sits on the human one: no merge, no lost commit');
    assert.deepEqual(log[1]!.parents, [log[2]!.sha]);
    assert.equal(await server.readFile(name, 'main', 'apps/config.yaml'), 'kind: ConfigMap\ndata: { a: human }\n');
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.3'));
  });

  it('a push declined by a server hook is tried once, not retried, and the error carries the hook\'s words', async () => {
    const { name, url, options, pushes } = await fixture();
    server.setPreReceiveHook(name, rejectingHook('GitLab: You are not allowed to push code to protected branches on this project.'));
    await assert.rejects(runAutomation(automation(url), picks('1.2.3'), options), (err: Error) => {
      assert.ok(err instanceof PushDeclinedError, `${err.name}: ${err.message}`);
      assert.ok(!(err instanceof TransientError), 'permanent: the queue does not retry it');
      assert.match(err.message, /push to main declined: .*pre-receive hook declined.*You are not allowed to push code to protected branches/);
      return true;
    });
    assert.equal(pushes(), 1);
    assert.deepEqual((await server.log(name, 'main')).map((c) => c.subject), ['Initial commit']);
  });

  it('rebuilds the review branch from the checkout branch plus the change, and leaves main alone', async () => {
    const { name, url, options, pushes } = await fixture();
    const config = automation(url, {}, { pushBranch: 'tagpilot/review' });
    const [initial] = await server.log(name, 'main');

    const first = await runAutomation(config, picks('1.2.3'), options);
    assert.equal(first.branch, 'tagpilot/review');
    assert.deepEqual((await server.log(name, 'main')).map((c) => c.sha), [initial!.sha], 'main untouched');
    const review = await server.log(name, 'tagpilot/review');
    assert.equal(review[0]!.sha, first.commit);
    assert.deepEqual(review[0]!.parents, [initial!.sha]);
    assert.equal(await server.readFile(name, 'tagpilot/review', 'apps/app.yaml'), marked('1.2.3'));

    // Same picks, same main: the branch already carries the change; pushing again would only churn CI.
    const second = await runAutomation(config, picks('1.2.3'), options);
    assert.equal(second.commit, null);
    assert.equal(second.alreadyPushed, first.commit);
    assert.equal(pushes(), 1);

    // main moves on: the review branch is rebuilt on the new head (forced: it is ours).
    const human = await server.commitAsHuman(name, 'main', { 'README.md': 'fleet v2\n' }, 'Human edit');
    const third = await runAutomation(config, picks('1.2.3'), options);
    const rebuilt = await server.log(name, 'tagpilot/review');
    assert.equal(rebuilt[0]!.sha, third.commit);
    assert.deepEqual(rebuilt[0]!.parents, [human]);
    assert.equal(rebuilt.length, 3, 'initial, human, ours: the old review commit is gone');
    assert.equal((await server.log(name, 'main'))[0]!.sha, human);
  });

  it('holds back a reverted tag until a newer one appears, and says so', async () => {
    const { name, url, options } = await fixture();
    const bad = await runAutomation(automation(url), picks('1.2.3'), options);
    await gitRevert(server.repoPath(name), bad.commit!, join(dir, `revert-${name}`));
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.0.0'));

    const held = await runAutomation(automation(url), picks('1.2.3'), options);
    assert.equal(held.commit, null, 'the reverted tag is not written again');
    assert.deepEqual(
      held.heldBack.map((h) => [h.policy, h.tag, h.commit]),
      [['app', '1.2.3', bad.commit]],
    );
    const plan = await runAutomation(automation(url), picks('1.2.3'), { ...options, dryRun: true });
    assert.equal(plan.heldBack.length, 1, 'plan says so too');
    assert.equal(plan.diffs.size, 0);

    const newer = await runAutomation(automation(url), picks('1.2.4'), options);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.4'));
    assert.deepEqual(newer.heldBack, []);
  });

  const stores: Array<{ label: string; make: (stateDir: string) => Promise<StateStore> }> = [
    { label: 'files', make: async (stateDir) => new FileStateStore(`${stateDir}-shared`) },
    { label: 'Redis', make: async () => new RedisStateStore(redis.url, `revert-${++repoCount}`) },
  ];
  for (const backend of stores) it(`honours a revert 200 commits back from an empty stateDir, without a store and with one in ${backend.label}`, async () => {
    const { name, url, stateDir, options } = await fixture();
    const bad = await runAutomation(automation(url), picks('1.2.3'), options);
    await gitRevert(server.repoPath(name), bad.commit!, join(dir, `revert-${name}`));
    await humanCommits(server, name, 200);
    assert.ok(200 > HISTORY_DEPTH * 2, 'the revert is far below what a fresh clone fetches');

    // No store: every run reads the whole branch again, so a fresh clone brings all of it at once.
    const bare = { ...options, stateDir: `${stateDir}-bare` };
    const deepen = GitRepository.prototype.deepen;
    let deepened = 0;
    GitRepository.prototype.deepen = async function (this: GitRepository, ...args: Parameters<typeof deepen>) {
      deepened++;
      return deepen.apply(this, args);
    };
    try {
      const held = await runAutomation(automation(url), picks('1.2.3'), bare);
      assert.deepEqual(held.heldBack.map((h) => [h.tag, h.commit]), [['1.2.3', bad.commit]]);
      assert.equal(held.commit, null);
      assert.equal(deepened, 0, 'the clone holds the whole history: nothing to deepen');
    } finally {
      GitRepository.prototype.deepen = deepen;
    }

    // A store (the replicas' shared one, or stateDir's files): a fresh replica reads it once, and the next
    // fresh replica on the same store needs no history beyond what it fetches anyway.
    const state = await backend.make(stateDir);
    opened.push(state);
    const first = await runAutomation(automation(url), picks('1.2.3'), { ...options, stateDir: `${stateDir}-a`, state });
    assert.deepEqual(first.heldBack.map((h) => h.tag), ['1.2.3']);
    deepened = 0;
    GitRepository.prototype.deepen = async function (this: GitRepository, ...args: Parameters<typeof deepen>) {
      deepened++;
      return deepen.apply(this, args);
    };
    try {
      await humanCommits(server, name, 3);
      const second = await runAutomation(automation(url), picks('1.2.3'), { ...options, stateDir: `${stateDir}-b`, state });
      assert.deepEqual(second.heldBack.map((h) => h.tag), ['1.2.3']);
      assert.equal(second.commit, null);
      assert.equal(deepened, 0, 'the record covers the history: only the new commits are read');
    } finally {
      GitRepository.prototype.deepen = deepen;
    }

    // Reverting the revert (a person re-applies the release) releases it.
    const [revert] = (await server.log(name, 'main')).filter((c) => c.subject.startsWith('Revert'));
    await gitRevert(server.repoPath(name), revert!.sha, join(dir, `unrevert-${name}`));
    const released = await runAutomation(automation(url), picks('1.2.4'), { ...options, stateDir: `${stateDir}-c`, state });
    assert.deepEqual(released.heldBack, []);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.4'));
  });

  it('writes the best tag not held back: a file still behind moves forward, a file a person moved ahead stays', async () => {
    const { name, url, options } = await fixture({ ...FILES, 'apps/staging.yaml': marked('1.0.0') });
    const bad = await runAutomation(automation(url), picks('1.3.0'), options);
    await gitRevert(server.repoPath(name), bad.commit!, join(dir, `revert-${name}`));
    // After the revert a person puts staging back on 1.3.0 by hand; prod stays on 1.0.0.
    await server.commitAsHuman(name, 'main', { 'apps/staging.yaml': marked('1.3.0') }, 'Staging keeps 1.3.0');

    const ranked: RankedPick = { policy: 'app', repository: APP, tag: '1.3.0', candidates: ['1.3.0', '1.2.0', '1.1.0'] };
    const result = await runAutomation(automation(url), new Map([['app', ranked]]), options);
    assert.deepEqual(result.heldBack.map((h) => [h.policy, h.tag, h.commit]), [['app', '1.3.0', bad.commit]]);
    assert.deepEqual(result.changes.map((c) => [c.file, c.to]), [['apps/app.yaml', `${APP}:1.2.0`]]);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.0'));
    assert.equal(await server.readFile(name, 'main', 'apps/staging.yaml'), marked('1.3.0'), 'not moved down');
  });

  it('a fetch that fails while the history is read for reverts writes nothing', async () => {
    const { name, url, stateDir, options: bare, pushes } = await fixture();
    // With a record in the store a fresh clone is shallow, and reaching the record's heads past its
    // boundary takes a deepening fetch (without one the clone brings the whole history at once).
    const state = new FileStateStore(`${stateDir}-shared`);
    const options = { ...bare, state };
    const bad = await runAutomation(automation(url), picks('1.2.3'), options);
    await gitRevert(server.repoPath(name), bad.commit!, join(dir, `revert-${name}`));
    await humanCommits(server, name, HISTORY_DEPTH + 10);
    const deepen = GitRepository.prototype.deepen;
    // The server fails the deepening fetch (and only it): a proxy blip mid-scan.
    GitRepository.prototype.deepen = async function (this: GitRepository, ...args: Parameters<typeof deepen>) {
      server.failNextRequests(1, 502);
      return deepen.apply(this, args);
    };
    try {
      await assert.rejects(runAutomation(automation(url), picks('1.2.3'), { ...options, stateDir: `${stateDir}-fresh` }), (err: Error) => {
        assert.ok(err instanceof TransientError, `${err.name}: ${err.message}`);
        assert.match(err.message, /HTTP 502/);
        return true;
      });
    } finally {
      GitRepository.prototype.deepen = deepen;
    }
    assert.equal(pushes(), 1, 'only the first run pushed');
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.0.0'));
  });

  it('uses a commitMessage template and appends the trailers it needs to recognise the commit later', async () => {
    const { name, url, options } = await fixture();
    const config = automation(url, {
      commitMessage: 'chore({{automation}}): bump {{#each images}}{{repository}}={{tag}} {{/each}}\n\n{{#each changes}}* {{file}}\n{{/each}}',
    });
    await runAutomation(config, picks('2.0.0'), options);
    const [head] = await server.log(name, 'main');
    assert.equal(head!.subject, `chore(fleet): bump ${APP}=2.0.0`);
    assert.equal(head!.body, `* apps/app.yaml\n\nTagpilot-Automation: fleet\nTagpilot-Change: app ${APP} 1.0.0 -> 2.0.0`);
  });

  it('rebuilds a damaged or missing clone instead of trusting it', async () => {
    const { name, url, stateDir, options } = await fixture();
    const gitdir = join(stateDir, 'git', 'fleet');
    await runAutomation(automation(url), picks('1.1.0'), options);

    // Every object file, packed or loose, overwritten with garbage of the same size.
    const objectFiles = async () =>
      (await readdir(join(gitdir, 'objects'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
    const isGarbage = async (path: string) => (await readFile(path)).every((byte) => byte === 7);
    for (const path of await objectFiles()) await writeFile(path, Buffer.alloc((await readFile(path)).length, 7));
    await runAutomation(automation(url), picks('1.2.0'), options);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.0'));
    const left = await objectFiles();
    assert.ok(left.length > 0);
    for (const path of left) assert.equal(await isGarbage(path), false, `${path} survived: the damaged clone was trusted`);

    await writeFile(join(gitdir, 'refs', 'heads', 'main'), 'not a sha\n');
    await writeFile(join(gitdir, 'HEAD'), 'garbage');
    await runAutomation(automation(url), picks('1.3.0'), options);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.3.0'));

    await rm(gitdir, { recursive: true });
    await runAutomation(automation(url), picks('1.4.0'), options);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.4.0'));
    assert.deepEqual(
      (await server.log(name, 'main')).map((c) => c.subject),
      ['1.4.0', '1.3.0', '1.2.0', '1.1.0'].map((t) => `Update ${APP} to ${t}`).concat('Initial commit'),
    );
  });

  it('skips a marked file that is not valid UTF-8 and still updates the others', async () => {
    const { name, url, options } = await fixture();
    // Latin-1 bytes in a comment: decoding and re-encoding would silently change them.
    const work = join(dir, `latin1-${name}`);
    await runCommand('git', ['clone', '-q', server.repoPath(name), work]);
    await writeFile(join(work, 'apps/latin1.yaml'), Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\n${marked('1.0.0')}`)]));
    await runCommand('git', ['-C', work, 'add', '.']);
    await runCommand('git', ['-C', work, '-c', 'user.name=h', '-c', 'user.email=h@x', 'commit', '-qm', 'latin-1 file']);
    await runCommand('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
    const blob = async () => (await runCommand('git', ['--git-dir', server.repoPath(name), 'rev-parse', 'main:apps/latin1.yaml'])).stdout;
    const before = await blob();

    const result = await runAutomation(automation(url), picks('1.2.3'), options);
    assert.deepEqual(result.changes.map((c) => c.file), ['apps/app.yaml']);
    assert.deepEqual(result.problems, [{ file: 'apps/latin1.yaml', line: 1, message: 'skipped: not valid UTF-8, so it cannot be edited byte for byte' }]);
    assert.match(result.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(await blob(), before, 'the file is untouched, byte for byte');
  });

  it('skips a marked file nested 5,000 deep (reported with its line) and still commits the others', async () => {
    // Composing it recursively overflowed the stack and failed every run of the automation.
    const deep = `# {"$imagepolicy": "app"} is mentioned here\ndeep: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const { name, url, options } = await fixture({ ...FILES, 'apps/deep.yaml': deep });
    const result = await runAutomation(automation(url), picks('1.2.3'), options);
    assert.deepEqual(result.changes.map((c) => c.file), ['apps/app.yaml']);
    assert.deepEqual(result.problems, [{ file: 'apps/deep.yaml', line: 2, message: 'skipped: nested more than 256 levels deep, past what tagpilot parses' }]);
    assert.match(result.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.2.3'));
    assert.equal(await server.readFile(name, 'main', 'apps/deep.yaml'), deep);
  });

  it('the blob memo never hides a file that now needs a change', async () => {
    const { name, url, options } = await fixture();
    await runAutomation(automation(url), picks('1.1.0'), options);
    // config.yaml was screened out; a human gives it a marker (a new blob id) and it is updated at once.
    await server.commitAsHuman(name, 'main', { 'apps/config.yaml': marked('0.1.0') }, 'Mark config too');
    const marker = await runAutomation(automation(url), picks('1.1.0'), options);
    assert.deepEqual(marker.changes.map((c) => c.file), ['apps/config.yaml']);

    // auto mode: an unmarked image of a repository no pick named before; once one does, the file is read.
    await server.commitAsHuman(name, 'main', { 'apps/web.yaml': 'kind: Pod\nspec:\n  containers:\n    - image: ghcr.io/acme/web:1.0.0\n' }, 'Add web');
    const auto = automation(url, { update: 'auto' });
    const before = await runAutomation(auto, picks('1.1.0'), options);
    assert.deepEqual(before.changes, []);
    const web: ImagePick = { policy: 'web', repository: 'ghcr.io/acme/web', tag: '2.0.0' };
    const afterPick = await runAutomation(auto, picks('1.1.0', [web]), options);
    assert.deepEqual(afterPick.changes.map((c) => [c.file, c.to]), [['apps/web.yaml', 'ghcr.io/acme/web:2.0.0']]);
  });

  it('reads back from the clone only the blobs that could change and that no fetch brought: the rest were screened as the clone indexed them', async () => {
    const many: Record<string, string> = { ...FILES };
    for (let i = 0; i < 40; i++) many[`apps/svc-${i}.yaml`] = `kind: Service\nmetadata: { name: svc-${i} }\n`;
    const { name, url, options } = await fixture(many);
    const read: string[] = [];
    const readBlob = GitRepository.prototype.readBlob;
    GitRepository.prototype.readBlob = async function (this: GitRepository, oid: string) {
      read.push(oid);
      return readBlob.call(this, oid);
    };
    try {
      // The marked file came with the clone's pack and was kept as it was screened; the 40 others were screened out.
      const result = await runAutomation(automation(url), picks('1.2.3'), options);
      assert.deepEqual(result.changes.map((c) => c.file), ['apps/app.yaml']);
      assert.equal(read.length, 0, `read back ${read.length} blobs`);
      // The next run's memo holds the screened blobs, and the marked file is the one it wrote last time: one read.
      await runAutomation(automation(url), picks('1.2.4'), options);
      assert.equal(read.length, 1, `read back ${read.length} blobs`);
      read.length = 0;
      // Someone else changes the marked file: the fetch brings it, and the run edits what it brought.
      await server.commitAsHuman(name, 'main', { 'apps/app.yaml': `# owned by the app team\n${marked('1.2.4')}` }, 'Human edit');
      const after = await runAutomation(automation(url), picks('1.2.5'), options);
      assert.deepEqual(after.changes.map((c) => c.file), ['apps/app.yaml']);
      assert.equal(read.length, 0, `read back ${read.length} blobs`);
      assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), `# owned by the app team\n${marked('1.2.5')}`);
    } finally {
      GitRepository.prototype.readBlob = readBlob;
    }
  });

  it('passes over folders of only screened-out files on later runs, yet finds a marker added there and reports a symlink every run', async () => {
    const files: Record<string, string> = { ...FILES };
    for (let i = 0; i < 10; i++) files[`apps/quiet/svc-${i}.yaml`] = `kind: Service\nmetadata: { name: svc-${i} }\n`;
    files['apps/quiet/deeper/cm.yaml'] = 'kind: ConfigMap\ndata: { a: b }\n';
    files['apps/linked/cm.yaml'] = 'kind: ConfigMap\ndata: { c: d }\n';
    const { name, url, options } = await fixture(files);
    // A symlink can only come from a real commit: clone, link, push.
    const work = join(dir, `${name}-work`);
    await runCommand('git', ['clone', '--quiet', url, work]);
    await fs.symlink('cm.yaml', join(work, 'apps', 'linked', 'link.yaml'));
    await runCommand('git', ['-C', work, 'add', '-A']);
    await runCommand('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@example.test', 'commit', '--quiet', '-m', 'link']);
    await runCommand('git', ['-C', work, 'push', '--quiet', 'origin', 'main']);

    const listings: { files: string[]; complete: boolean }[] = [];
    const listFiles = GitRepository.prototype.listFiles;
    GitRepository.prototype.listFiles = async function (this: GitRepository, ...args: Parameters<typeof listFiles>) {
      const listing = await listFiles.apply(this, args);
      listings.push({ files: listing.files.map((f) => f.path), complete: listing.complete });
      return listing;
    };
    const symlinkProblems = (result: { problems: { file: string; message: string }[] }) =>
      result.problems.filter((p) => p.message.includes('symlink')).map((p) => p.file);
    try {
      const first = await runAutomation(automation(url), picks('1.1.0'), options);
      assert.deepEqual(first.changes.map((c) => c.file), ['apps/app.yaml']);
      assert.deepEqual(symlinkProblems(first), ['apps/linked/link.yaml']);
      assert.equal(listings.at(-1)?.complete, true, 'the first run reads every folder');

      // The folders the first run found to hold only screened-out files are not read again.
      const second = await runAutomation(automation(url), picks('1.2.0'), options);
      assert.deepEqual(second.changes.map((c) => c.file), ['apps/app.yaml']);
      assert.deepEqual(symlinkProblems(second), ['apps/linked/link.yaml'], 'a folder with a symlink is read every run');
      const passedOver = listings.at(-1)!;
      assert.equal(passedOver.complete, false);
      assert.deepEqual(passedOver.files.filter((f) => f.startsWith('apps/quiet/')), []);
      assert.ok(passedOver.files.includes('apps/linked/cm.yaml'));

      // A human marks a file deep in the passed-over folder: its folders have new ids and are read.
      await server.commitAsHuman(name, 'main', { 'apps/quiet/deeper/cm.yaml': marked('0.1.0') }, 'Mark a quiet one');
      const third = await runAutomation(automation(url), picks('1.2.0'), options);
      assert.deepEqual(third.changes.map((c) => c.file), ['apps/quiet/deeper/cm.yaml']);
    } finally {
      GitRepository.prototype.listFiles = listFiles;
    }
  });

  it('does not retry the network itself: a 503 fails the run as transient (the queue retries), naming the remote without secrets', async () => {
    const { name, url, options } = await fixture();
    server.failNextRequests(1, 503);
    await assert.rejects(runAutomation(automation(url), picks('1.5.0'), options), TransientError);
    await runAutomation(automation(url), picks('1.5.0'), options);
    assert.equal(await server.readFile(name, 'main', 'apps/app.yaml'), marked('1.5.0'));

    const closed = 'http://user:hunter2@127.0.0.1:9/fleet.git';
    await assert.rejects(runAutomation(automation(closed), picks('1.5.0'), { ...options, stateDir: join(dir, 'closed') }), (err: Error) => {
      assert.ok(err instanceof TransientError, String(err));
      assert.match(err.message, /127\.0\.0\.1:9\/fleet\.git/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });

  describe('with a fetch made ahead of the run (reconcile starts one while it scans)', () => {
    const ahead = (url: string, options: RunAutomationOptions) =>
      fetchAhead(automation(url), { stateDir: options.stateDir, state: options.state, env: process.env, http: undefined });

    it('builds on the head that fetch brought; a push that loses the race to it is re-applied on the new head', async () => {
      const { name, url, options } = await fixture();
      ahead(url, options);
      // The fetch ahead is done once the clone's lock is free; then a person pushes.
      await withGitdirLock(join(options.stateDir, 'git', 'fleet'), async () => undefined);
      await server.commitAsHuman(name, 'main', { 'apps/config.yaml': 'kind: ConfigMap\ndata: { a: human }\n' }, 'Human edit');
      const result = await runAutomation(automation(url), picks('1.2.3'), options);
      assert.equal(result.pushAttempts, 2, 'the first attempt built on the head fetched ahead, before the human commit');
      const log = await server.log(name, 'main');
      assert.deepEqual(log.map((c) => c.subject), [`Update ${APP} to 1.2.3`, 'Human edit', 'Initial commit']);
      assert.equal(await server.readFile(name, 'main', 'apps/config.yaml'), 'kind: ConfigMap\ndata: { a: human }\n');
    });

    it(`fetches again when that head is older than ${FETCHED_AHEAD_FRESH_MS} ms by the time the run starts`, async () => {
      const { name, url, options } = await fixture();
      mock.timers.enable({ apis: ['Date'], now: Date.now() });
      try {
        ahead(url, options);
        await withGitdirLock(join(options.stateDir, 'git', 'fleet'), async () => undefined);
        await server.commitAsHuman(name, 'main', { 'apps/config.yaml': 'kind: ConfigMap\ndata: { a: human }\n' }, 'Human edit');
        mock.timers.tick(FETCHED_AHEAD_FRESH_MS + 1);
        const result = await runAutomation(automation(url), picks('1.2.3'), options);
        assert.equal(result.pushAttempts, 1, 'the run fetched the current head itself');
      } finally {
        mock.timers.reset();
      }
      assert.deepEqual((await server.log(name, 'main')).map((c) => c.subject), [`Update ${APP} to 1.2.3`, 'Human edit', 'Initial commit']);
    });

    it('a failed fetch ahead fails the run as its own fetch would, and nothing is pushed', async () => {
      const { url, options, pushes } = await fixture();
      server.failNextRequests(1, 503);
      ahead(url, options);
      await assert.rejects(runAutomation(automation(url), picks('1.2.3'), options), (err: Error) => {
        assert.ok(err instanceof TransientError, `${err.name}: ${err.message}`);
        assert.match(err.message, /HTTP 503/);
        return true;
      });
      assert.equal(pushes(), 0);
    });

    it('the run loads no pack index the fetch ahead already loaded', async () => {
      const { name, url, options } = await fixture();
      await runAutomation(automation(url), picks('1.2.3'), options);
      // A person's commit: the fetch ahead brings it as a pack, and the head is read from there.
      await server.commitAsHuman(name, 'main', { 'apps/config.yaml': 'kind: ConfigMap\ndata: { a: human }\n' }, 'Human edit');
      const indexReads: string[] = [];
      const readFile = fs.readFile;
      fs.readFile = (async (...args: Parameters<typeof readFile>) => {
        if (String(args[0]).endsWith('.idx')) indexReads.push(String(args[0]));
        return readFile(...args);
      }) as typeof readFile;
      try {
        ahead(url, options);
        await withGitdirLock(join(options.stateDir, 'git', 'fleet'), async () => undefined);
        const readAhead = new Set(indexReads);
        const before = indexReads.length;
        assert.ok(readAhead.size > 0, 'the fetch ahead read a pack index');
        const result = await runAutomation(automation(url), picks('1.2.4'), options);
        assert.equal(result.changes.length, 1);
        const again = indexReads.slice(before).filter((path) => readAhead.has(path));
        assert.deepEqual(again, [], 'the run read these again');
      } finally {
        fs.readFile = readFile;
      }
    });

    it('a first run reads back no blob: the clone made ahead screened them, and kept the one that could change', async () => {
      const many: Record<string, string> = { ...FILES };
      for (let i = 0; i < 40; i++) many[`apps/svc-${i}.yaml`] = `kind: Service\nmetadata: { name: svc-${i} }\n`;
      const { url, options } = await fixture(many);
      const read: string[] = [];
      const readBlob = GitRepository.prototype.readBlob;
      GitRepository.prototype.readBlob = async function (this: GitRepository, oid: string) {
        read.push(oid);
        return readBlob.call(this, oid);
      };
      try {
        ahead(url, options);
        const result = await runAutomation(automation(url), picks('1.2.3'), options);
        assert.deepEqual(result.changes.map((c) => c.file), ['apps/app.yaml']);
        assert.equal(read.length, 0, `read back ${read.length} blobs`);
      } finally {
        GitRepository.prototype.readBlob = readBlob;
      }
    });
  });
});

describe('runAutomation with credentials', () => {
  let server: TestGitServer;
  let dir: string;
  before(async () => {
    [server, dir] = await Promise.all([startGitServer({ username: 'bot', password: 's3cret-token' }), makeTempDir('run-auth')]);
  });
  after(async () => {
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  it('pushes with a token, and a wrong one says which remote refused without showing it', async () => {
    const url = await server.createRepo('fleet', FILES);
    const options = { stateDir: join(dir, 'state'), log: createLogger('silent'), knownPolicies: new Set(['app']) };
    const good = automation(url, {}, { auth: { username: 'bot', password: 's3cret-token' } });
    await runAutomation(good, picks('3.0.0'), options);
    assert.equal(await server.readFile('fleet', 'main', 'apps/app.yaml'), marked('3.0.0'));
    assert.ok(server.requests.every((r) => r.status !== 401), 'credentials are sent up front: no 401 round trips');

    const bad = automation(url, {}, { auth: { username: 'bot', password: 'wrong-password' } });
    await assert.rejects(runAutomation(bad, picks('3.1.0'), options), (err: Error) => {
      assert.ok(err instanceof UnauthorizedError, String(err));
      assert.match(err.message, new RegExp(`${url.replace(/[.]/g, '\\.')}: the git server refused our credentials \\(HTTP 401\\)`));
      assert.doesNotMatch(err.message, /wrong-password|s3cret/);
      return true;
    });
  });
});

describe('GitRepository push', () => {
  it('does not overwrite a branch that moved since the fetch unless told to force', async () => {
    await withGitServer('push', async (server, dir) => {
      const url = await server.createRepo('fleet', FILES);
      const repo = new GitRepository(join(dir, 'clone'), url);
      const { head } = await repo.fetchHead('main');
      const human = await server.commitAsHuman('fleet', 'main', { 'README.md': 'human\n' }, 'Human edit');
      const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', marked('5.0.0')]]), 'stale', HUMAN_AUTHOR);
      const result = await repo.push(commit, 'main');
      assert.equal(result.outcome, 'rejected');
      assert.match(result.reason, /fetch first: main moved to/);
      assert.equal((await server.log('fleet', 'main'))[0]!.sha, human);
      assert.equal(server.requests.filter((r) => r.path.endsWith('/git-receive-pack')).length, 0, 'nothing was sent');

      assert.equal((await repo.push(commit, 'review', { force: true })).outcome, 'pushed');
      assert.equal((await server.log('fleet', 'review'))[0]!.sha, commit);
    });
  });
});

describe('GitRepository onRequest', () => {
  it('is told of each request as it starts: a fetch and a push each ask once (GET) and then send (POST)', async () => {
    await withGitServer('on-request', async (server, dir) => {
      const url = await server.createRepo('fleet', FILES);
      const methods: string[] = [];
      const repo = new GitRepository(join(dir, 'clone'), url, { onRequest: (method) => methods.push(method) });
      const { head } = await repo.fetchHead('main');
      assert.deepEqual(methods, ['GET', 'POST']);
      const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', marked('6.0.0')]]), 'edit', HUMAN_AUTHOR);
      assert.equal((await repo.push(commit, 'main')).outcome, 'pushed');
      assert.deepEqual(methods, ['GET', 'POST', 'GET', 'POST']);
    });
  });
});

describe('GitRepository writeCommit', () => {
  it('changes files at any depth and leaves every other path as it was', async () => {
    await withGitServer('write-commit', async (server, dir) => {
      const deep = { 'deep/a/b/c.yaml': marked('1.0.0'), 'deep/a/b/d.yaml': 'kind: Other\n', 'deep/a/e.yaml': marked('1.0.0'), 'deep/f.yaml': 'f\n' };
      const url = await server.createRepo('fleet', { ...FILES, ...deep });
      const repo = new GitRepository(join(dir, 'clone'), url);
      const { head } = await repo.fetchHead('main');
      const edits = new Map([
        ['deep/a/b/c.yaml', marked('2.0.0')],
        ['deep/a/e.yaml', marked('2.0.0')],
        ['README.md', 'changed\n'],
      ]);
      const commit = await repo.writeCommit(head, edits, 'deep edit', HUMAN_AUTHOR);
      assert.equal((await repo.push(commit, 'main')).outcome, 'pushed');
      const listing = async (rev: string) => {
        const { stdout } = await runCommand('git', ['--git-dir', server.repoPath('fleet'), 'ls-tree', '-r', rev]);
        return new Map(stdout.trim().split('\n').map((line) => [line.split('\t')[1]!, line.split('\t')[0]!]));
      };
      const [before, after] = await Promise.all([listing(head), listing(commit)]);
      assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), 'the same paths');
      const changed = [...after.keys()].filter((path) => after.get(path) !== before.get(path)).sort();
      assert.deepEqual(changed, [...edits.keys()].sort());
      for (const [path, text] of edits) assert.equal(await server.readFile('fleet', 'main', path), text);
      await runCommand('git', ['--git-dir', server.repoPath('fleet'), 'fsck', '--strict', '--no-dangling']);
    });
  });
});

describe('GitRepository push: what is sent', () => {
  /** A clone of a 150-file repository, one edit committed, and how many objects the server gained from pushing it to `branch`. */
  async function pushOneEdit(branch: string, force: boolean): Promise<{ inPack: boolean; added: number }> {
    return withGitServer('push-pack', async (server, dir) => {
      // More files than http-backend's unpackLimit (100): a push of the whole tree would be kept as a pack.
      const files = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`apps/svc-${i}.yaml`, `kind: Service\nname: svc-${i}\n`]));
      const url = await server.createRepo('fleet', { ...files, 'apps/app.yaml': marked('1.0.0') });
      const objects = async () => {
        const { stdout } = await runCommand('git', ['--git-dir', server.repoPath('fleet'), 'count-objects', '-v']);
        return Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(': ') as [string, string]));
      };
      const before = await objects();
      const repo = new GitRepository(join(dir, 'clone'), url);
      const { head } = await repo.fetchHead('main');
      const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', marked('2.0.0')]]), 'edit', HUMAN_AUTHOR);
      assert.equal((await repo.push(commit, branch, { force })).outcome, 'pushed');
      assert.equal((await server.log('fleet', branch))[0]!.sha, commit);
      const after = await objects();
      return { inPack: after['in-pack'] !== before['in-pack'], added: Number(after.count) - Number(before.count) };
    });
  }

  it('sends only the objects the commit adds to the checkout branch', async () => {
    // The merge base's objects are skipped without walking the new commit's unchanged trees (patches/README.md).
    assert.deepEqual(await pushOneEdit('main', false), { inPack: false, added: 4 }, 'one blob, two trees and the commit');
  });

  it('sends only the objects the remote lacks to a review branch, though the clone never held that branch', async () => {
    assert.deepEqual(await pushOneEdit('tagpilot/review', true), { inPack: false, added: 4 }, 'one blob, two trees and the commit');
  });

});

describe('GitRepository pack housekeeping', () => {
  it('rebuilds the clone as one pack once too many packs piled up and they outweigh its own', async () => {
    // FILES make a pack smaller than what two runs add: merging (test/git/merge-packs.test.ts) would keep more than cloning again.
    await withGitServer('packs', async (server, dir) => {
      const url = await server.createRepo('fleet', FILES);
      const repo = new GitRepository(join(dir, 'clone'), url, { maxPacks: 2 });
      const states: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { head, clone } = await repo.fetchHead('main');
        states.push(clone);
        const commit = await repo.writeCommit(head, new Map([['apps/app.yaml', marked(`9.${i}.0`)]]), `run ${i}`, HUMAN_AUTHOR);
        assert.equal((await repo.push(commit, 'main')).outcome, 'pushed');
        await server.commitAsHuman('fleet', 'main', { 'README.md': `fleet ${i}\n` }, `human ${i}`);
      }
      assert.deepEqual(states, ['missing', 'reused', 'compacted', 'reused']);
      const packs = (await readdir(join(dir, 'clone', 'objects', 'pack'))).filter((f) => f.endsWith('.pack'));
      assert.ok(packs.length <= 4, `packs: ${packs.length}`);
      assert.equal(await server.readFile('fleet', 'main', 'apps/app.yaml'), marked('9.3.0'));
    });
  });
});

const HUMAN_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: HUMAN_AUTHOR.name,
  GIT_AUTHOR_EMAIL: HUMAN_AUTHOR.email,
  GIT_COMMITTER_NAME: HUMAN_AUTHOR.name,
  GIT_COMMITTER_EMAIL: HUMAN_AUTHOR.email,
};

/** `count` small commits by a person on main, as on a busy branch. */
async function humanCommits(server: TestGitServer, repo: string, count: number): Promise<void> {
  await server.commitsAsHuman(repo, 'main', Array.from({ length: count }, (_, i) => ({ files: { 'README.md': `busy ${i}\n` }, message: `busy ${i}` })));
}

/** `git revert` as a person would run it: clone, revert, push. */
async function gitRevert(bareRepo: string, commit: string, work: string): Promise<void> {
  const env = HUMAN_ENV;
  await runCommand('git', ['clone', '--quiet', bareRepo, work], { env });
  await runCommand('git', ['revert', '--no-edit', commit], { cwd: work, env });
  await runCommand('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, env });
  await rm(work, { recursive: true, force: true });
}
