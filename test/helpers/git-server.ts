// A real smart-HTTP git server on 127.0.0.1: node's http in front of `git http-backend` (CGI).
import { timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { GitIdentity } from './git-scripts.js';
import { runCommand } from './run-command.js';
import { spawnLight, type LightChild } from './spawn-light.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

export interface StartGitServerOptions {
  /** With both set, every request needs these Basic credentials; without, anyone may fetch and push. */
  username?: string;
  password?: string;
  /** Decides Basic credentials instead (tokens that expire); every request then needs credentials it accepts. */
  verify?: (username: string, password: string) => boolean;
}

export interface GitCommitInfo {
  sha: string;
  subject: string;
  body: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
}

/** One HTTP request the server saw, for assertions like "nothing was pushed". */
export interface GitRequestRecord {
  method: string;
  /** e.g. /config.git/info/refs */
  path: string;
  /** git-upload-pack (fetch) or git-receive-pack (push), when the request names one. */
  service: string | undefined;
  /** The authenticated user, undefined when anonymous or refused. */
  user: string | undefined;
  status: number;
}

export interface TestGitServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Where the bare repositories live (GIT_PROJECT_ROOT). */
  root: string;
  requests: GitRequestRecord[];
  /** Creates a bare repo with one commit of `files` by a fixed author and date; returns its clone URL. */
  createRepo(name: string, files: Record<string, string>, options?: { branch?: string }): Promise<string>;
  /** The bare repository's folder on disk. */
  repoPath(repo: string): string;
  readFile(repo: string, branch: string, path: string): Promise<string>;
  /** Commits on `branch`, newest first (first parent and merges alike, as `git log` lists them). */
  log(repo: string, branch: string): Promise<GitCommitInfo[]>;
  /** Every ref and the sha it points to, e.g. { 'refs/heads/main': 'abc…' }. */
  refs(repo: string): Promise<Record<string, string>>;
  /** Adds a commit by "Human Dev" straight into the bare repo (no hooks run); returns its sha. */
  commitAsHuman(repo: string, branch: string, files: Record<string, string | null>, message: string): Promise<string>;
  /** Adds these commits by "Human Dev", one on the other, as a busy branch gets them; returns their shas. */
  commitsAsHuman(repo: string, branch: string, commits: Array<{ files: Record<string, string | null>; message: string }>): Promise<string[]>;
  /** Installs (or with null removes) hooks/pre-receive; see git-scripts.ts for ready-made ones. */
  setPreReceiveHook(repo: string, script: string | null): void;
  /** Answers the next `count` requests with `status` (default 503) instead of serving them: a flaky network or proxy. */
  failNextRequests(count: number, status?: number): void;
  /** http-backend's own stderr so far, for debugging a failed test. */
  output(): string;
  stop(): Promise<void>;
}

/** The author of every createRepo commit; fixed, with a fixed date, so fixture shas are stable. */
export const FIXTURE_AUTHOR: GitIdentity = { name: 'Fixture Bot', email: 'fixtures@example.test', date: '2024-01-01T00:00:00Z' };
/** The author commitAsHuman uses, so tests can tell a human's commit from tagpilot's. */
export const HUMAN_AUTHOR: GitIdentity = { name: 'Human Dev', email: 'human@example.test' };

const OUTPUT_LIMIT = 64 * 1024;

/** Runs `work` with a new git server and a temporary folder (named by `prefix`), and stops and removes both after, however it ends. */
export async function withGitServer<T>(prefix: string, work: (server: TestGitServer, dir: string) => Promise<T>): Promise<T> {
  const server = await startGitServer();
  const dir = await makeTempDir(prefix);
  try {
    return await work(server, dir);
  } finally {
    await server.stop();
    await removeTempDir(dir);
  }
}

export async function startGitServer(options: StartGitServerOptions = {}): Promise<TestGitServer> {
  const root = await makeTempDir('git');
  const home = join(root, '.home');
  await mkdir(home);
  const env = gitEnv(home);
  const requests: GitRequestRecord[] = [];
  const children = new Set<LightChild>();
  let output = '';
  const log = (text: string): void => {
    output = (output + text).slice(-OUTPUT_LIMIT);
  };
  let failures = { count: 0, status: 503 };
  const auth = options.username !== undefined && options.password !== undefined
    ? { username: options.username, password: options.password }
    : undefined;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: GitRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      service: url.searchParams.get('service') ?? /\/(git-(?:upload|receive)-pack)$/.exec(url.pathname)?.[1],
      user: undefined,
      status: 0,
    };
    requests.push(record);
    res.once('finish', () => {
      record.status = res.statusCode;
    });
    if (failures.count > 0) {
      failures.count--;
      req.resume();
      res.writeHead(failures.status, { 'content-type': 'text/plain' }).end('injected failure\n');
      return;
    }
    let user = 'anonymous';
    if (auth || options.verify) {
      const given = parseBasic(req.headers.authorization);
      const accepted = given && (options.verify ? options.verify(given.username, given.password) : safeEqual(given.username, auth!.username) && safeEqual(given.password, auth!.password));
      if (!given || !accepted) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' }).end('authentication required\n');
        return;
      }
      user = given.username;
      record.user = user;
    }
    try {
      runBackend(req, res, url, user);
    } catch (err) {
      // e.g. a malformed %-escape in the path: answer it instead of crashing the test process.
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${String(err)}\n`);
    }
  });

  const runBackend = (req: IncomingMessage, res: ServerResponse, url: URL, user: string): void => {
    const cgiEnv: NodeJS.ProcessEnv = {
      ...env,
      GIT_PROJECT_ROOT: root,
      // Serve every repo under the root without a git-daemon-export-ok file in each.
      GIT_HTTP_EXPORT_ALL: '1',
      // http-backend allows receive-pack only for an authenticated user; without server auth, pushes
      // are open, so a placeholder user stands in.
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
    };
    // Without CONTENT_LENGTH http-backend reads the body to EOF, which is what a chunked request needs.
    if (req.headers['content-length'] !== undefined) cgiEnv.CONTENT_LENGTH = req.headers['content-length'];
    // git CLI clients gzip large request bodies; http-backend inflates them itself when told.
    if (req.headers['content-encoding'] !== undefined) cgiEnv.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    // Protocol v2 (the git CLI's default) is negotiated through this header.
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') cgiEnv.GIT_PROTOCOL = protocol;

    // One process per request: from the spawn server, as starting it from this process costs more.
    const child = spawnLight('git', ['http-backend'], { env: cgiEnv });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      log(chunk.toString());
    });
    child.stdin.on('error', () => {});
    req.pipe(child.stdin);
    // A client that hangs up mid-request leaves nothing to answer; stop the backend too.
    res.once('close', () => {
      if (!res.writableFinished && child.exitCode === null) child.kill('SIGKILL');
    });

    let head: Buffer | undefined = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      if (head === undefined) {
        if (!res.write(chunk)) {
          child.stdout.pause();
          res.once('drain', () => child.stdout.resume());
        }
        return;
      }
      head = Buffer.concat([head, chunk]);
      const parsed = parseCgiHead(head);
      if (!parsed) return;
      head = undefined;
      res.writeHead(parsed.status, parsed.statusText, parsed.headers);
      if (parsed.rest.length > 0) res.write(parsed.rest);
    });
    child.stdout.on('end', () => {
      if (head !== undefined && !res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`git http-backend gave no response\n${stderr}`);
        return;
      }
      res.end();
    });
    child.on('error', (err) => {
      log(`git http-backend: ${err.message}\n`);
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
    child.on('close', () => children.delete(child));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  // A test that forgets stop() must not keep its file's process alive; the folder goes at exit anyway.
  server.unref();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const repoPath = (repo: string): string => join(root, repo.endsWith('.git') ? repo : `${repo}.git`);
  const git = async (repo: string, args: string[]): Promise<string> =>
    (await runCommand('git', ['--git-dir', repoPath(repo), ...args], { env })).stdout;
  const commit = async (repo: string, branch: string, commits: CommitToImport[]): Promise<string[]> => {
    const path = repoPath(repo);
    const output = (await runCommand('git', ['--git-dir', path, 'fast-import', '--quiet'], { env, input: fastImportStream(path, branch, commits) })).stdout;
    return output.trim().split('\n');
  };
  let stopped = false;

  return {
    url,
    root,
    requests,
    repoPath,
    async createRepo(name, files, { branch = 'main' } = {}) {
      const path = repoPath(name);
      await mkdir(dirname(path), { recursive: true });
      await runCommand('git', ['init', '--quiet', '--bare', '-b', branch, path], { env });
      await commit(name, branch, [{ files, message: 'Initial commit', author: FIXTURE_AUTHOR }]);
      return `${url}/${name.endsWith('.git') ? name : `${name}.git`}`;
    },
    readFile: (repo, branch, path) => git(repo, ['show', `refs/heads/${branch}:${path}`]),
    async log(repo, branch) {
      const format = ['%H', '%P', '%an', '%ae', '%s', '%b'].join('%x1f') + '%x1e';
      const stdout = await git(repo, ['log', `--format=${format}`, `refs/heads/${branch}`, '--']);
      return stdout
        .split('\x1e')
        .map((entry) => entry.replace(/^\n/, ''))
        .filter((entry) => entry.length > 0)
        .map((entry) => {
          const [sha = '', parents = '', authorName = '', authorEmail = '', subject = '', body = ''] = entry.split('\x1f');
          return { sha, parents: parents.split(' ').filter(Boolean), authorName, authorEmail, subject, body: body.trimEnd() };
        });
    },
    async refs(repo) {
      const stdout = await git(repo, ['for-each-ref', '--format=%(refname) %(objectname)']);
      return Object.fromEntries(stdout.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
    },
    commitAsHuman: async (repo, branch, files, message) => (await commit(repo, branch, [{ files, message, author: HUMAN_AUTHOR }]))[0]!,
    commitsAsHuman: (repo, branch, commits) => commit(repo, branch, commits.map((c) => ({ ...c, author: HUMAN_AUTHOR }))),
    setPreReceiveHook(repo, script) {
      const path = join(repoPath(repo), 'hooks', 'pre-receive');
      if (script === null) {
        rmSync(path, { force: true });
        return;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, script, { mode: 0o755 });
    },
    failNextRequests(count, status = 503) {
      failures = { count, status };
    },
    output: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const child of children) child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeTempDir(root);
    },
  };
}

interface CommitToImport {
  files: Record<string, string | null>;
  message: string;
  author: GitIdentity;
}

/**
 * A `git fast-import` stream adding `commits` on `branch`, each on the one before (the first on the
 * branch's head, if it has one), and printing their shas: one git process however many files and
 * commits, where a commit per script (commitScript) runs two per file. fast-import writes straight
 * into the bare repository, so no hooks run, and it refuses to move the branch unless it fast-forwards.
 */
function fastImportStream(gitDir: string, branch: string, commits: CommitToImport[]): Buffer {
  const parts: Buffer[] = [];
  const text = (value: string): void => void parts.push(Buffer.from(value));
  const data = (value: string): void => text(`data ${Buffer.byteLength(value)}\n${value}\n`);
  const quoted = (path: string): string => (/^"|[\n\\]/.test(path) ? JSON.stringify(path) : path);
  const head = branchHead(gitDir, branch);
  commits.forEach(({ files, message, author }, i) => {
    const seconds = Math.floor((author.date ? Date.parse(author.date) : Date.now()) / 1000);
    const who = `${author.name} <${author.email}> ${seconds} +0000`;
    text(`commit refs/heads/${branch}\nmark :${i + 1}\nauthor ${who}\ncommitter ${who}\n`);
    data(message.endsWith('\n') ? message : `${message}\n`);
    if (i === 0 && head) text(`from ${head}\n`);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) {
        text(`D ${quoted(path)}\n`);
      } else {
        text(`M 100644 inline ${quoted(path)}\n`);
        data(content);
      }
    }
    text('\n');
  });
  commits.forEach((_, i) => text(`get-mark :${i + 1}\n`));
  return Buffer.concat(parts);
}

/** The commit `branch` points at in a bare repository, read from its loose or packed refs; undefined if none. */
function branchHead(gitDir: string, branch: string): string | undefined {
  const ref = `refs/heads/${branch}`;
  if (existsSync(join(gitDir, ref))) return readFileSync(join(gitDir, ref), 'utf8').trim();
  const packed = existsSync(join(gitDir, 'packed-refs')) ? readFileSync(join(gitDir, 'packed-refs'), 'utf8') : '';
  return packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0];
}

/**
 * The environment for every git process here: no system or user config (a developer's commit.gpgsign
 * or url.insteadOf must not leak into fixtures), no prompts, and none of the caller's GIT_* variables
 * (tests run from inside a git hook would otherwise point every command at the wrong repository).
 */
function gitEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return { ...env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Splits a CGI response into its header block and the start of the body; undefined until complete. */
function parseCgiHead(
  buffer: Buffer,
): { status: number; statusText: string | undefined; headers: Record<string, string[]>; rest: Buffer } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  let end: number;
  let sepLength: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) {
    end = crlf;
    sepLength = 4;
  } else if (lf >= 0) {
    end = lf;
    sepLength = 2;
  } else {
    return undefined;
  }
  let status = 200;
  let statusText: string | undefined;
  const headers: Record<string, string[]> = {};
  for (const line of buffer.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const match = /^(\d{3})\s*(.*)$/.exec(value);
      if (match) {
        status = Number(match[1]);
        statusText = match[2] || undefined;
      }
      continue;
    }
    (headers[name] ??= []).push(value);
  }
  return { status, statusText, headers, rest: buffer.subarray(end + sepLength) };
}
