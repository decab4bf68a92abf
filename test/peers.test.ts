// Self-test of the peer harness in test/helpers: each real peer starts, speaks its protocol, and stops.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { Redis } from 'ioredis';
import { DaemonStartError, startDaemon } from './helpers/daemon-process.js';
import { getFreePort } from './helpers/free-port.js';
import { humanCommitThenRejectHook, rejectingHook } from './helpers/git-scripts.js';
import { HUMAN_AUTHOR, startGitServer } from './helpers/git-server.js';
import { startRedis } from './helpers/redis-server.js';
import { startRegistry } from './helpers/registry-server.js';
import { CommandError, runCommand } from './helpers/run-command.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

const TAGPILOT = { name: 'tagpilot', email: 'tagpilot@localhost' };

function parseChallenge(header: string | null): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of (header ?? '').matchAll(/(\w+)="([^"]*)"/g)) params[match[1] ?? ''] = match[2] ?? '';
  return params;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir('peers-test');
  try {
    return await body(dir);
  } finally {
    await removeTempDir(dir);
  }
}

describe('free port and temp dir helpers', () => {
  it('gives distinct bindable ports and removes temp folders', async () => {
    const [a, b] = await Promise.all([getFreePort(), getFreePort()]);
    assert.ok(a && b && a > 0 && b > 0);
    const dir = await makeTempDir('selftest');
    assert.ok(fs.existsSync(dir));
    await removeTempDir(dir);
    assert.ok(!fs.existsSync(dir));
  });

  it('a daemon that dies on start throws with its own output', async () => {
    const daemon = startDaemon({ name: 'redis-server', command: 'redis-server', args: ['--port', 'not-a-port'] });
    await assert.rejects(
      daemon.waitUntilReady(async () => false, { timeoutMs: 5_000 }),
      (err: unknown) => err instanceof DaemonStartError && /exited with code/.test(err.message) && err.output.length > 0,
    );
  });
});

describe('runCommand (commands started by the spawn server)', () => {
  it('passes stdin, cwd and env, and returns stdout and stderr whole', async () => {
    const big = 'x'.repeat(300_000);
    const { stdout, stderr } = await runCommand('sh', ['-c', 'cat; pwd; echo "$GREETING" >&2'], {
      cwd: '/usr',
      env: { PATH: process.env.PATH, GREETING: 'hello' },
      input: big,
    });
    assert.equal(stdout, `${big}/usr\n`);
    assert.equal(stderr, 'hello\n');
  });

  it('fails with the exit code and output, names a command that cannot start, and kills one past its time', async () => {
    await assert.rejects(runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']), (err: unknown) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.exitCode, 3);
      assert.equal(err.stdout, 'out\n');
      assert.match(err.message, /exited with code 3\nerr\nout$/);
      return true;
    });
    await assert.rejects(runCommand('tagpilot-no-such-command', []), /tagpilot-no-such-command : could not start: .*ENOENT/);
    // Its 'close' comes only once the killed command has gone.
    await assert.rejects(runCommand('sleep', ['30'], { timeoutMs: 200 }), /sleep 30: timed out after 200 ms/);
  });
});

describe('registry peer (docker-registry 2.8)', () => {
  it('anonymous: pushImage tags an image that tags/list shows, digests follow content', async () => {
    const registry = await startRegistry();
    try {
      assert.match(registry.host, /^127\.0\.0\.1:\d+$/);
      const v1 = await registry.pushImage('acme/app', 'v1.0.0');
      const v1again = await registry.pushImage('acme/app', 'v1.0.0-copy', { content: 'acme/app:v1.0.0' });
      const v2 = await registry.pushImage('acme/app', 'v2.0.0', { format: 'oci' });
      assert.match(v1.digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(v1again.digest, v1.digest, 'same content, same digest');
      assert.notEqual(v2.digest, v1.digest);
      const res = await fetch(`${registry.url}/v2/acme/app/tags/list`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { name: string; tags: string[] };
      assert.equal(body.name, 'acme/app');
      assert.deepEqual([...body.tags].sort(), ['v1.0.0', 'v1.0.0-copy', 'v2.0.0']);
      const head = await fetch(`${registry.url}/v2/acme/app/manifests/v2.0.0`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(head.headers.get('docker-content-digest'), v2.digest);
      await registry.deleteImage('acme/app', 'v2.0.0');
      assert.deepEqual((await registry.listTags('acme/app')).sort(), ['v1.0.0', 'v1.0.0-copy']);
    } finally {
      await registry.stop();
    }
  });

  it('htpasswd: refuses without credentials (401), accepts with them', async () => {
    const registry = await startRegistry({ auth: { kind: 'htpasswd', username: 'robot', password: 's3cret' } });
    try {
      await registry.pushImage('acme/app', '1.0.0');
      const anonymous = await fetch(`${registry.url}/v2/acme/app/tags/list`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      const wrong = await fetch(`${registry.url}/v2/acme/app/tags/list`, { headers: { authorization: basic('robot', 'nope') } });
      assert.equal(wrong.status, 401);
      const ok = await fetch(`${registry.url}/v2/acme/app/tags/list`, { headers: { authorization: basic('robot', 's3cret') } });
      assert.equal(ok.status, 200);
      assert.deepEqual(((await ok.json()) as { tags: string[] }).tags, ['1.0.0']);
    } finally {
      await registry.stop();
    }
  });

  it('token: /v2/ challenges with a Bearer realm whose token opens the registry', async () => {
    const registry = await startRegistry({ auth: { kind: 'token', username: 'robot', password: 's3cret' } });
    try {
      await registry.pushImage('acme/app', '1.0.0');
      const challenge = await fetch(`${registry.url}/v2/`);
      assert.equal(challenge.status, 401);
      const params = parseChallenge(challenge.headers.get('www-authenticate'));
      assert.match(challenge.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.equal(params.realm, registry.realm);

      const tokenUrl = new URL(params.realm ?? '');
      tokenUrl.searchParams.set('service', params.service ?? '');
      tokenUrl.searchParams.set('scope', 'repository:acme/app:pull');
      assert.equal((await fetch(tokenUrl)).status, 401, 'anonymous realm request without anonymousPull');
      assert.equal((await fetch(tokenUrl, { headers: { authorization: basic('robot', 'bad') } })).status, 401);
      const tokenRes = await fetch(tokenUrl, { headers: { authorization: basic('robot', 's3cret') } });
      assert.equal(tokenRes.status, 200);
      const { token } = (await tokenRes.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      assert.equal((await fetch(`${registry.url}/v2/`, { headers: auth })).status, 200);

      const tags = await fetch(`${registry.url}/v2/acme/app/tags/list`, { headers: auth });
      assert.equal(tags.status, 200);
      assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['1.0.0']);
      // The token covers the scope it was asked for and nothing else.
      const other = await fetch(`${registry.url}/v2/acme/other/tags/list`, { headers: auth });
      assert.equal(other.status, 401);
      assert.match(other.headers.get('www-authenticate') ?? '', /scope="repository:acme\/other:pull"/);
      assert.deepEqual(
        registry.tokenRequests?.map((r) => [r.username, r.status]),
        [[undefined, 401], ['robot', 401], ['robot', 200]],
      );
    } finally {
      await registry.stop();
    }
  });

  it('token with anonymousPull: anonymous tokens can pull but not push', async () => {
    const registry = await startRegistry({ auth: { kind: 'token', username: 'robot', password: 's3cret', anonymousPull: true } });
    try {
      await registry.pushImage('acme/app', '1.0.0');
      const tokenRes = await fetch(`${registry.realm}?service=${registry.service}&scope=repository:acme/app:pull,push`);
      assert.equal(tokenRes.status, 200);
      const { token } = (await tokenRes.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      assert.equal((await fetch(`${registry.url}/v2/acme/app/tags/list`, { headers: auth })).status, 200);
      const upload = await fetch(`${registry.url}/v2/acme/app/blobs/uploads/`, { method: 'POST', headers: auth });
      assert.equal(upload.status, 401);
    } finally {
      await registry.stop();
    }
  });

  it('notifications: the registry POSTs push events, with our headers, to the configured URL', async () => {
    const events: Array<{ headers: IncomingHttpHeaders; body: { events: Array<{ action: string; target: { repository: string; tag?: string } }> } }> = [];
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        events.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const registry = await startRegistry({
      notifications: {
        url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
        headers: { Authorization: 'Bearer hook-secret' },
      },
    });
    try {
      await registry.pushImage('acme/app', '3.1.4');
      const deadline = Date.now() + 5_000;
      const tagged = (): boolean =>
        events.some((e) => e.body.events.some((ev) => ev.action === 'push' && ev.target.tag === '3.1.4'));
      while (!tagged() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(tagged(), 'a push event for the tag arrived');
      assert.equal(events[0]?.headers.authorization, 'Bearer hook-secret');
    } finally {
      await registry.stop();
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});

describe('git peer (git http-backend)', () => {
  it('anonymous: isomorphic-git clones, commits and pushes; readFile and log see the push', async () => {
    const server = await startGitServer();
    try {
      const cloneUrl = await server.createRepo('fleet', { 'apps/app.yaml': 'image: acme/app:1.0.0\n' });
      assert.equal(cloneUrl, `${server.url}/fleet.git`);
      await withTempDir(async (dir) => {
        await git.clone({ fs, http, dir, url: cloneUrl, ref: 'main', singleBranch: true });
        assert.equal(await readFile(join(dir, 'apps/app.yaml'), 'utf8'), 'image: acme/app:1.0.0\n');
        await writeFile(join(dir, 'apps/app.yaml'), 'image: acme/app:1.1.0\n');
        await git.add({ fs, dir, filepath: 'apps/app.yaml' });
        await git.commit({ fs, dir, message: 'Update acme/app to 1.1.0\n\nBody line.', author: TAGPILOT });
        const result = await git.push({ fs, http, dir, remote: 'origin', ref: 'main' });
        assert.equal(result.ok, true);
      });
      assert.equal(await server.readFile('fleet', 'main', 'apps/app.yaml'), 'image: acme/app:1.1.0\n');
      const log = await server.log('fleet', 'main');
      assert.equal(log.length, 2);
      assert.equal(log[0]?.subject, 'Update acme/app to 1.1.0');
      assert.equal(log[0]?.body, 'Body line.');
      assert.equal(log[0]?.authorName, 'tagpilot');
      assert.deepEqual(log[0]?.parents, [log[1]?.sha]);
      assert.equal(log[1]?.authorName, 'Fixture Bot');
      assert.ok(server.requests.some((r) => r.service === 'git-receive-pack' && r.status === 200));
    } finally {
      await server.stop();
    }
  });

  it('basic auth: clone and push with onAuth; a wrong password is a 401', async () => {
    const server = await startGitServer({ username: 'bot', password: 'hunter2' });
    try {
      const cloneUrl = await server.createRepo('team/config', { 'a.txt': 'a\n' }, { branch: 'trunk' });
      const unauthenticated = await fetch(`${cloneUrl}/info/refs?service=git-upload-pack`);
      assert.equal(unauthenticated.status, 401);
      assert.equal(unauthenticated.headers.get('www-authenticate'), 'Basic realm="git"');
      await withTempDir(async (dir) => {
        await assert.rejects(
          git.clone({ fs, http, dir, url: cloneUrl, onAuth: () => ({ username: 'bot', password: 'wrong' }) }),
          (err: unknown) => (err as { code?: string }).code === 'HttpError' && (err as { data?: { statusCode?: number } }).data?.statusCode === 401,
        );
      });
      await withTempDir(async (dir) => {
        const onAuth = (): { username: string; password: string } => ({ username: 'bot', password: 'hunter2' });
        await git.clone({ fs, http, dir, url: cloneUrl, onAuth });
        await writeFile(join(dir, 'b.txt'), 'b\n');
        await git.add({ fs, dir, filepath: 'b.txt' });
        await git.commit({ fs, dir, message: 'Add b', author: TAGPILOT });
        await git.push({ fs, http, dir, onAuth });
      });
      assert.equal(await server.readFile('team/config', 'trunk', 'b.txt'), 'b\n');
      assert.ok(server.requests.some((r) => r.service === 'git-receive-pack' && r.user === 'bot' && r.status === 200));
    } finally {
      await server.stop();
    }
  });

  it('a rejecting pre-receive hook surfaces as a push error; commitAsHuman bypasses it', async () => {
    const server = await startGitServer();
    try {
      const cloneUrl = await server.createRepo('fleet', { 'x.yaml': 'v: 1\n' });
      await withTempDir(async (dir) => {
        await git.clone({ fs, http, dir, url: cloneUrl });
        await writeFile(join(dir, 'x.yaml'), 'v: 2\n');
        await git.add({ fs, dir, filepath: 'x.yaml' });
        await git.commit({ fs, dir, message: 'v2', author: TAGPILOT });
        server.setPreReceiveHook('fleet', rejectingHook('frozen for release'));
        const messages: string[] = [];
        await assert.rejects(
          git.push({ fs, http, dir, onMessage: (m) => void messages.push(m) }),
          (err: unknown) => (err as { code?: string }).code === 'GitPushError' && /pre-receive hook declined/.test(String(err)),
        );
        assert.match(messages.join(''), /frozen for release/);
      });
      const sha = await server.commitAsHuman('fleet', 'main', { 'x.yaml': 'v: 9\n', 'new.txt': 'n\n' }, 'Hotfix by hand');
      const [head] = await server.log('fleet', 'main');
      assert.equal(head?.sha, sha);
      assert.equal(head?.authorName, HUMAN_AUTHOR.name);
      assert.equal(await server.readFile('fleet', 'main', 'new.txt'), 'n\n');
      await server.commitAsHuman('fleet', 'main', { 'new.txt': null }, 'Remove new.txt');
      await assert.rejects(server.readFile('fleet', 'main', 'new.txt'));
      server.setPreReceiveHook('fleet', null);
    } finally {
      await server.stop();
    }
  });

  it('a one-shot hook lands a human commit and rejects; a push after re-fetching passes', async () => {
    const server = await startGitServer();
    try {
      const cloneUrl = await server.createRepo('fleet', { 'app.yaml': 'tag: 1\n', 'other.yaml': 'x\n' });
      server.setPreReceiveHook(
        'fleet',
        humanCommitThenRejectHook({
          branch: 'main',
          files: { 'other.yaml': 'changed by a human\n' },
          message: 'Human edit',
          author: HUMAN_AUTHOR,
        }),
      );
      await withTempDir(async (dir) => {
        await git.clone({ fs, http, dir, url: cloneUrl });
        await writeFile(join(dir, 'app.yaml'), 'tag: 2\n');
        await git.add({ fs, dir, filepath: 'app.yaml' });
        await git.commit({ fs, dir, message: 'tag 2', author: TAGPILOT });
        await assert.rejects(git.push({ fs, http, dir }), { code: 'GitPushError' });
        assert.equal((await server.log('fleet', 'main'))[0]?.subject, 'Human edit');
        // What tagpilot's retry would do: fetch, rebuild the change on top, push again.
        await git.fetch({ fs, http, dir });
        const remoteHead = await git.resolveRef({ fs, dir, ref: 'refs/remotes/origin/main' });
        await git.checkout({ fs, dir, ref: remoteHead, force: true });
        await git.branch({ fs, dir, ref: 'main', object: remoteHead, force: true, checkout: true });
        await writeFile(join(dir, 'app.yaml'), 'tag: 2\n');
        await git.add({ fs, dir, filepath: 'app.yaml' });
        await git.commit({ fs, dir, message: 'tag 2', author: TAGPILOT });
        await git.push({ fs, http, dir });
      });
      assert.deepEqual((await server.log('fleet', 'main')).map((c) => c.subject), ['tag 2', 'Human edit', 'Initial commit']);
      assert.equal(await server.readFile('fleet', 'main', 'other.yaml'), 'changed by a human\n');
    } finally {
      await server.stop();
    }
  });

  it('the git CLI (protocol v2) can clone and push too', async () => {
    const server = await startGitServer({ username: 'bot', password: 'pw' });
    try {
      const cloneUrl = await server.createRepo('cli', { 'f.txt': 'f\n' });
      const authed = cloneUrl.replace('http://', 'http://bot:pw@');
      await withTempDir(async (dir) => {
        const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: dir, GIT_TERMINAL_PROMPT: '0' };
        const run = promisify(execFile);
        const work = join(dir, 'w');
        await run('git', ['clone', '-q', authed, work], { env });
        await writeFile(join(work, 'g.txt'), 'g\n');
        await run('git', ['-C', work, 'add', '.'], { env });
        await run('git', ['-C', work, '-c', 'user.name=cli', '-c', 'user.email=cli@x', 'commit', '-qm', 'cli commit'], { env });
        await run('git', ['-C', work, 'push', '-q', 'origin', 'main'], { env });
      });
      assert.equal(await server.readFile('cli', 'main', 'g.txt'), 'g\n');
      assert.ok(server.requests.some((r) => r.path.endsWith('/git-upload-pack') && r.status === 200));
    } finally {
      await server.stop();
    }
  });

  it('passes gzip request bodies (Content-Encoding: gzip) through to http-backend', async () => {
    const server = await startGitServer();
    try {
      await server.createRepo('gz', { 'f.txt': 'f\n' });
      const [head] = await server.log('gz', 'main');
      const pkt = (line: string): string => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
      const request = `${pkt(`want ${head?.sha}\n`)}0000${pkt('done\n')}`;
      const res = await fetch(`${server.url}/gz.git/git-upload-pack`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip' },
        body: gzipSync(request),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/x-git-upload-pack-result');
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(body.subarray(0, 8).toString(), '0008NAK\n');
      assert.equal(body.subarray(8, 12).toString(), 'PACK');
    } finally {
      await server.stop();
    }
  });
});

describe('redis peer', () => {
  it('answers PING, dies on kill() and comes back on restart()', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50, lazyConnect: true });
    client.on('error', () => {});
    try {
      await client.connect();
      assert.equal(await client.ping(), 'PONG');
      await redis.kill();
      await assert.rejects(client.ping());
      await redis.restart();
      const deadline = Date.now() + 5_000;
      let reply = '';
      while (reply !== 'PONG' && Date.now() < deadline) reply = await client.ping().catch(() => '');
      assert.equal(reply, 'PONG');
    } finally {
      client.disconnect();
      await redis.stop();
    }
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    probe.on('error', () => {});
    await assert.rejects(probe.connect(), 'nothing listens after stop()');
    probe.disconnect();
  });
});
