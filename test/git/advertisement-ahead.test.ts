// The refs a fetch or push begins with, sent for ahead (GitRepository.sendAdvertisementAhead), against
// git http-backend: the fetch and the push take them instead of asking again, and refs that went
// stale before the push cannot make it overwrite a commit someone else pushed meanwhile.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitRepository } from '../../src/git/git-repository.js';
import { HUMAN_AUTHOR, startGitServer, type TestGitServer } from '../helpers/git-server.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const AUTHOR = { name: 'tagpilot', email: 'tagpilot@example.test' };

describe('refs sent for ahead of a fetch or push', () => {
  let server: TestGitServer;
  let dir: string;
  let count = 0;

  before(async () => {
    [server, dir] = await Promise.all([startGitServer(), makeTempDir('advertisement-ahead')]);
  });
  after(async () => {
    await server?.stop();
    if (dir) await removeTempDir(dir);
  });

  async function fixture() {
    const name = `fleet-${++count}`;
    const url = await server.createRepo(name, { 'app.yaml': 'image: app:1.0.0\n' });
    const repo = new GitRepository(join(dir, name), url);
    const requests = (service: string, method = 'GET') =>
      server.requests.filter((r) => r.method === method && r.path.startsWith(`/${name}.git/`) && r.service === service).length;
    /** Until the server has answered the GET of `service`'s refs `n` times: what was sent ahead went out before the caller went on. */
    const answered = async (service: string, n: number) => {
      const deadline = Date.now() + 10_000;
      while (server.requests.filter((r) => r.path === `/${name}.git/info/refs` && r.service === service && r.status === 200).length < n) {
        assert.ok(Date.now() < deadline, `no answered GET of ${service}'s refs`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    return { name, repo, requests, answered };
  }

  it('a clone, a fetch and a push each take the refs sent for ahead and ask for them once', async () => {
    const { name, repo, requests, answered } = await fixture();
    repo.sendAdvertisementAhead('git-upload-pack');
    await answered('git-upload-pack', 1);
    const { head, clone } = await repo.fetchHead('main');
    assert.equal(clone, 'missing');
    assert.equal(requests('git-upload-pack'), 1, 'the clone asked once');

    repo.sendAdvertisementAhead('git-receive-pack');
    await answered('git-receive-pack', 1);
    const commit = await repo.writeCommit(head, new Map([['app.yaml', 'image: app:1.2.0\n']]), 'Update app to 1.2.0', AUTHOR);
    assert.deepEqual(await repo.push(commit, 'main'), { outcome: 'pushed', reason: '' });
    assert.equal(requests('git-receive-pack'), 1);
    assert.equal(requests('git-receive-pack', 'POST'), 1);
    assert.equal(await server.readFile(name, 'main', 'app.yaml'), 'image: app:1.2.0\n');

    const human = await server.commitAsHuman(name, 'main', { 'README.md': 'fleet\n' }, 'Human edit');
    assert.equal((await repo.fetchHead('main')).head, human);
    assert.equal(requests('git-upload-pack'), 2, 'fetchHead sends for the refs itself, once');
  });

  it('refs that went stale before the push get it rejected, and the commit pushed meanwhile stays', async () => {
    const { name, repo, answered } = await fixture();
    const { head } = await repo.fetchHead('main');
    const commit = await repo.writeCommit(head, new Map([['app.yaml', 'image: app:1.2.0\n']]), 'Update app to 1.2.0', AUTHOR);
    repo.sendAdvertisementAhead('git-receive-pack');
    await answered('git-receive-pack', 1);
    // Someone pushes after the refs were advertised, before our push: the refs still name our parent.
    const human = await server.commitAsHuman(name, 'main', { 'app.yaml': 'image: app:9.9.9\n' }, 'Human edit');
    const pushed = await repo.push(commit, 'main');
    assert.equal(pushed.outcome, 'rejected', pushed.reason);
    // The server's refusal, not our own check before packing ("fetch first"): the refs said nothing had moved.
    assert.match(pushed.reason, /cannot lock ref 'refs\/heads\/main'/);
    const [top] = await server.log(name, 'main');
    assert.equal(top!.sha, human);
    assert.equal(top!.authorName, HUMAN_AUTHOR.name);
    assert.equal(await server.readFile(name, 'main', 'app.yaml'), 'image: app:9.9.9\n');
  });
});
