// The source's branch record (SPEC §2 promotion: Git is the record): fetched from the source's own
// clone, brought up to its current head, kept in the state store; a fetch failure is an error.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AutomationConfig } from '../../src/config/schema.js';
import { TransientError } from '../../src/errors.js';
import type { BranchRecord } from '../../src/git/branch-history.js';
import { defaultCommitMessage } from '../../src/git/commit-message.js';
import { findHeldBackTags } from '../../src/git/held-back-tags.js';
import { readSourceRecord } from '../../src/promotion/read-source-record.js';
import { FileStateStore } from '../../src/state/file-state-store.js';
import { startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const REPO = 'ghcr.io/acme/app';
const ours = (to: string) => defaultCommitMessage('staging', [{ file: 'app.yaml', policy: 'app', repository: REPO, from: '1.0.0', to }]);

describe('readSourceRecord', () => {
  let gitServer: TestGitServer;
  let dir: string;
  before(async () => {
    [gitServer, dir] = await Promise.all([startGitServer(), makeTempDir('source-record')]);
  });
  after(async () => {
    await gitServer?.stop();
    if (dir) await removeTempDir(dir);
  });

  // Commits within one second keep no order in the record (it sorts by time); compare as sets.
  const tags = (record: BranchRecord) => record.commits.map((c) => /-> (\S+)$/m.exec(c.message)?.[1]).sort();

  it('reads the source branch, keeps the record under history/<source> and brings it up to the new head', async () => {
    const url = await gitServer.createRepo('kept', { 'app.yaml': 'image: x\n' });
    await gitServer.commitAsHuman('kept', 'main', { 'app.yaml': 'image: y\n' }, ours('1.1.0'));
    const source = AutomationConfig.parse({ name: 'staging', git: { url } });
    const state = new FileStateStore(join(dir, 'kept-state'));
    const options = { stateDir: join(dir, 'kept-state'), state };

    assert.deepEqual(tags(await readSourceRecord(source, options)), ['1.1.0']);
    const stored = (await state.get<BranchRecord>(['history/staging'])).get('history/staging')?.value;
    assert.deepEqual(stored && tags(stored), ['1.1.0']);

    await gitServer.commitAsHuman('kept', 'main', { 'app.yaml': 'image: z\n' }, ours('1.2.0'));
    const fresh = await readSourceRecord(source, options);
    assert.deepEqual(tags(fresh), ['1.1.0', '1.2.0']);
    assert.equal(fresh.heads[0], (await gitServer.refs('kept'))['refs/heads/main']);
  });

  it('keeps of each message only the lines it is read for, and finds the same holds in them', async () => {
    const url = await gitServer.createRepo('compact', { 'app.yaml': 'image: x\n', 'other.yaml': 'image: x\n' });
    const message = defaultCommitMessage('staging', [
      { file: 'app.yaml', policy: 'app', repository: REPO, from: '1.0.0', to: '1.1.0' },
      { file: 'other.yaml', policy: 'app', repository: REPO, from: '1.0.0', to: '1.1.0' },
    ]);
    await gitServer.commitAsHuman('compact', 'main', { 'app.yaml': 'image: y\n', 'other.yaml': 'image: y\n' }, message);
    const update = (await gitServer.refs('compact'))['refs/heads/main']!;
    const revert = `Revert "Update ${REPO} to 1.1.0"\n\nThis reverts commit ${update}.\n\nBecause 1.1.0 broke the login page.\n`;
    await gitServer.commitAsHuman('compact', 'main', { 'app.yaml': 'image: x\n', 'other.yaml': 'image: x\n' }, revert);
    const source = AutomationConfig.parse({ name: 'staging', git: { url } });

    const record = await readSourceRecord(source, { stateDir: join(dir, 'compact-state') });
    const messages = new Map(record.commits.map((c) => [c.oid, c.message]));
    assert.match(message, /app\.yaml/, 'the full message names the files');
    assert.equal(messages.get(update), `- app: ${REPO} 1.0.0 -> 1.1.0\nTagpilot-Automation: staging`);
    assert.equal([...messages.values()].find((m) => m !== messages.get(update)), `This reverts commit ${update}.`);
    assert.deepEqual(
      findHeldBackTags(record.commits).held.map((h) => [h.tag, h.commit]),
      [['1.1.0', update]],
    );
  });

  it('reads a source on another repository and branch from its own clone', async () => {
    const url = await gitServer.createRepo('elsewhere', { 'app.yaml': 'image: x\n' }, { branch: 'env/staging' });
    await gitServer.commitAsHuman('elsewhere', 'env/staging', { 'app.yaml': 'image: y\n' }, ours('2.0.0'));
    const source = AutomationConfig.parse({ name: 'staging', git: { url, branch: 'env/staging' } });
    const record = await readSourceRecord(source, { stateDir: join(dir, 'elsewhere-state') });
    assert.deepEqual(tags(record), ['2.0.0']);
    assert.equal(record.branch, 'env/staging');
  });

  it('a source it cannot fetch is a transient error naming the source, never an empty record', async () => {
    const url = await gitServer.createRepo('down', { 'app.yaml': 'image: x\n' });
    const source = AutomationConfig.parse({ name: 'staging', git: { url } });
    gitServer.failNextRequests(1, 503);
    await assert.rejects(readSourceRecord(source, { stateDir: join(dir, 'down-state') }), (err: Error) => {
      assert.ok(err instanceof TransientError, String(err));
      assert.match(err.message, /staging/);
      return true;
    });
  });
});
