// Git over SSH behind isomorphic-git's http plugin. isomorphic-git speaks only smart HTTP, the
// stateless form of the protocol git-upload-pack and git-receive-pack speak over SSH, so its two
// requests per operation are served by one command on one SSH connection:
//   GET  …/info/refs?service=S  → run S, read its ref advertisement, and answer in smart-HTTP form
//                                 (a "# service=S" pkt-line first). S is kept waiting ("parked").
//   POST …/S                    → send the request body to the parked S (or to a new one, past its
//                                 advertisement) and stream the rest of its output back as the body.
// A parked command the next request does not want gets a flush (nothing wanted) and ends. Both the
// handshake and each command (a process on the server, often behind a forced command) cost enough
// to matter (bench/git-ssh.bench.ts). The connection closes after SSH_IDLE_MS without a command,
// and while no command's output is awaited it does not keep the process alive. One operation at a
// time per client, as GitRepository makes them. The server's host key must be in knownHostsFile.
// ssh2 is imported only here, and only when an SSH remote is used.
import { readFile } from 'node:fs/promises';
import { connect as connectSocket, type Socket } from 'node:net';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import type { Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { InputError, NotFoundError, TransientError, UnauthorizedError } from '../errors.js';
import { DEFAULT_GIT_TIMEOUTS } from './git-http-client.js';
import { judgeHostKey, keyBlobType, knownHostKeys, sshFingerprint, type KnownHostKey } from './known-hosts.js';
import { networkCode } from './remote-failure.js';
import { knownHostsName, remoteCommand, type SshRemote } from './ssh-remote.js';
import { untilWritable } from './until-writable.js';

/** git.auth for an SSH remote, with the passphrase already read from sshKeyPassphraseEnv. */
export interface SshAuth {
  sshKeyFile: string;
  knownHostsFile: string;
  sshKeyPassphraseEnv?: string;
  passphrase?: string;
}

/** How long an unused connection stays open for the next request of the same operation. */
export const SSH_IDLE_MS = 5_000;
/** Connect, key exchange and login; a command's own deadline is the request timeout. */
export const SSH_HANDSHAKE_TIMEOUT_MS = 30_000;

const FLUSH = Buffer.from('0000');
const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);
const STDERR_LIMIT = 2_000;

interface Session {
  client: Client;
  socket: Socket;
  /** Commands whose output someone awaits: while there are any, the connection holds the process. */
  busy: number;
  idle: NodeJS.Timeout | undefined;
  /** A command that has sent its advertisement and waits for the request that follows it. */
  parked: Command | undefined;
}

/** One git-upload-pack or git-receive-pack running on the server, past its ref advertisement. */
interface Command {
  service: string;
  channel: ClientChannel;
  output: AsyncIterator<Buffer>;
  run: Run;
  /** The advertisement's pkt-lines, up to and with its flush. */
  advertisement: Buffer;
  /** Output already read after the advertisement. */
  rest: Buffer;
  busy: boolean;
  closed: boolean;
}

/** An isomorphic-git HttpClient that serves every request over SSH to `remote`. */
export function createGitSshClient(remote: SshRemote, auth: SshAuth | undefined, shownUrl: string, timeoutMs = DEFAULT_GIT_TIMEOUTS.requestMs): HttpClient {
  let session: Promise<Session> | undefined;

  const connected = (): Promise<Session> => {
    if (!auth) throw new InputError(`${shownUrl}: an SSH remote needs git.auth { sshKeyFile, knownHostsFile }`);
    if (!session) {
      const opening = connect(remote, auth, shownUrl);
      session = opening;
      opening.then(
        (s) => s.client.on('close', () => session === opening && (session = undefined)),
        () => session === opening && (session = undefined),
      );
    }
    return session;
  };

  return {
    async request(request) {
      const { service, advertise } = route(request, shownUrl);
      const current = await connected();
      const command = (advertise ? undefined : unpark(current, service)) ?? (await start(current, service, remote.path, shownUrl, timeoutMs));
      try {
        if (advertise) {
          park(current, command);
          const body = Buffer.concat([pktLine(`# service=${service}\n`), FLUSH, command.advertisement]);
          return response(request, `application/x-${service}-advertisement`, single(body));
        }
        for await (const chunk of request.body ?? []) {
          if (!command.channel.write(chunk)) await untilWritable(command.channel);
        }
        command.channel.end();
        return response(request, `application/x-${service}-result`, rest(command.rest, command.output, command.run));
      } catch (err) {
        command.channel.close();
        throw err;
      }
    },
  };
}

/** Which service a request is for, and whether it asks for the advertisement (GET) or the exchange (POST). */
function route(request: GitHttpRequest, shownUrl: string): { service: string; advertise: boolean } {
  const advertised = /\/info\/refs\?service=([a-z-]+)$/.exec(request.url)?.[1];
  const service = advertised ?? /\/([a-z-]+)$/.exec(request.url)?.[1];
  if (!service || !SERVICES.has(service)) throw new Error(`${shownUrl}: no SSH equivalent for the request ${request.method ?? 'GET'} ${request.url}`);
  return { service, advertise: advertised !== undefined };
}

async function connect(remote: SshRemote, auth: SshAuth, shownUrl: string): Promise<Session> {
  const [{ default: ssh2 }, privateKey, knownHosts] = await Promise.all([
    // CommonJS: node finds only some of its names statically, so take the module object.
    import('ssh2'),
    readConfigured(auth.sshKeyFile, 'git.auth.sshKeyFile'),
    readConfigured(auth.knownHostsFile, 'git.auth.knownHostsFile'),
  ]);
  const userKey = checkKey(ssh2.utils.parseKey(privateKey, auth.passphrase), auth);
  const hostName = knownHostsName(remote);
  const listed = knownHostKeys(knownHosts.toString('utf8'), hostName);
  let refusal: InputError | undefined;
  const config: ConnectConfig = {
    username: remote.user,
    privateKey,
    passphrase: auth.passphrase,
    readyTimeout: SSH_HANDSHAKE_TIMEOUT_MS,
    algorithms: { serverHostKey: hostKeyAlgorithms(listed) },
    hostVerifier: (presented: Buffer) => {
      const verdict = judgeHostKey(listed, presented);
      if (verdict !== 'known') refusal = hostKeyRefusal(verdict, presented, hostName, remote, auth.knownHostsFile, shownUrl);
      return verdict === 'known';
    },
  };
  // Without TCP_NODELAY each small handshake packet waited for the peer's delayed ACK: ~90 ms a round
  // trip on 127.0.0.1, ~0.5 s a connection (the SSH tests' time was mostly that).
  const socket = connectSocket({ host: remote.host, port: remote.port, noDelay: true });
  const client = new ssh2.Client();
  return new Promise<Session>((resolve, reject) => {
    const failed = (err: Error & { level?: string }) => {
      socket.destroy();
      reject(refusal ?? connectFailure(err, { shownUrl, auth, userKey, hostName, listed }));
    };
    client.once('error', failed);
    client.once('ready', () => {
      client.off('error', failed);
      // Later errors (the server going away) surface in the request that was running; the next one reconnects.
      client.on('error', () => client.end());
      resolve({ client, socket, busy: 0, idle: undefined, parked: undefined });
    });
    client.connect({ ...config, sock: socket });
  });
}

/** Why a connection could not be made, classified: a refused key or a failed negotiation is permanent, the network is not. */
function connectFailure(
  err: Error & { level?: string },
  context: { shownUrl: string; auth: SshAuth; userKey: string; hostName: string; listed: readonly KnownHostKey[] },
): Error {
  const { shownUrl, auth, userKey, hostName, listed } = context;
  if (err.level === 'client-authentication') {
    return new UnauthorizedError(
      `${shownUrl}: the SSH server refused the key in git.auth.sshKeyFile (${auth.sshKeyFile}, ${userKey}); ` +
        'add its public key to the repository (a deploy key with write access)',
      { cause: err },
    );
  }
  if (err.level === 'handshake') {
    // Nothing in common (host key types, ciphers): it would fail the same way next time.
    const known = listed.map((k) => k.type).join(', ') || 'none';
    return new InputError(`${shownUrl}: SSH handshake failed: ${err.message} (host key types git.auth.knownHostsFile lists for ${hostName}: ${known})`, { cause: err });
  }
  if (err.level === 'client-timeout') return new TransientError(`${shownUrl}: no SSH handshake within ${SSH_HANDSHAKE_TIMEOUT_MS} ms`, { cause: err });
  const what = typeof (err as NodeJS.ErrnoException).code === 'string' ? networkCode(err) : err.message;
  return new TransientError(`${shownUrl}: SSH connection failed: ${what}`, { cause: err });
}

async function readConfigured(file: string, key: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new InputError(`${key} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

/** The user key's fingerprint, for messages; a key that cannot be read or unlocked is bad input. */
function checkKey(parsed: ReturnType<typeof import('ssh2').utils.parseKey>, auth: SshAuth): string {
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || !key) {
    const message = key instanceof Error ? key.message : 'no key in the file';
    if (/passphrase/i.test(message) && auth.passphrase === undefined) {
      throw new InputError(`git.auth.sshKeyFile ${auth.sshKeyFile}: the key is passphrase-protected; set git.auth.sshKeyPassphraseEnv to a variable holding the passphrase`);
    }
    const hint = auth.passphrase !== undefined ? ` (is the passphrase in ${auth.sshKeyPassphraseEnv ?? 'sshKeyPassphraseEnv'} right?)` : '';
    throw new InputError(`git.auth.sshKeyFile ${auth.sshKeyFile}: not a usable SSH private key: ${message}${hint}`);
  }
  return `${key.type} ${sshFingerprint(key.getPublicSSH())}`;
}

/**
 * The host key algorithms to offer: only those of the keys known_hosts lists for the host (as
 * OpenSSH prefers them), so a server with several host keys shows us one we can check.
 */
function hostKeyAlgorithms(listed: readonly KnownHostKey[]): ServerHostKeyAlgorithm[] | undefined {
  const wanted = [...new Set(listed.filter((k) => !k.revoked).flatMap((k) => (k.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k.type])))];
  const offered = SUPPORTED_HOST_KEY_ALGORITHMS.filter((a) => wanted.includes(a));
  return offered.length > 0 ? offered : undefined;
}

const SUPPORTED_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function hostKeyRefusal(
  verdict: 'unknown-host' | 'changed' | 'revoked',
  presented: Buffer,
  hostName: string,
  remote: SshRemote,
  knownHostsFile: string,
  shownUrl: string,
): InputError {
  const key = `${keyBlobType(presented)} key ${sshFingerprint(presented)}`;
  const scan = `ssh-keyscan${remote.port === 22 ? '' : ` -p ${remote.port}`} ${remote.host}`;
  const why = {
    'unknown-host': `host ${hostName} is not in git.auth.knownHostsFile (${knownHostsFile}); it offered the ${key}. If that is the server's key, add its line (${scan})`,
    changed: `the host key of ${hostName} is not the one git.auth.knownHostsFile (${knownHostsFile}) lists: it offered the ${key}. Refused: the key changed or someone is in between; update the file only once you have checked the new key`,
    revoked: `host ${hostName} offered the ${key}, which git.auth.knownHostsFile (${knownHostsFile}) marks @revoked`,
  }[verdict];
  return new InputError(`${shownUrl}: ${why}`, { code: 'SSH_HOST_KEY_REFUSED' });
}

/** Runs `service` on the repository and reads its advertisement; the command counts as busy until it closes or is parked. */
async function start(session: Session, service: string, path: string, shownUrl: string, timeoutMs: number): Promise<Command> {
  unpark(session, undefined);
  hold(session);
  let channel: ClientChannel;
  let run: Run;
  try {
    // Watched inside the callback, not after the await: ssh2 handles a whole TCP read at once, so a
    // quick command's exit status can arrive with the exec reply and be emitted before a continuation runs.
    [channel, run] = await new Promise<[ClientChannel, Run]>((resolve, reject) => {
      session.client.exec(remoteCommand(service, path), (err, opened) => (err ? reject(err) : resolve([opened, watch(opened, shownUrl, service, timeoutMs)])));
    });
  } catch (err) {
    letGo(session);
    throw new TransientError(`${shownUrl}: the SSH server would not run ${service}: ${(err as Error).message}`, { cause: err });
  }
  const output = drain(channel);
  const command: Command = { service, channel, output, run, advertisement: Buffer.alloc(0), rest: Buffer.alloc(0), busy: true, closed: false };
  // Not at 'exit': sshd may report the exit status before the last output has arrived.
  channel.once('close', () => {
    command.closed = true;
    if (command.busy) letGo(session);
  });
  try {
    const read = await readAdvertisement(output, shownUrl);
    if (!read) throw await run.failure();
    command.advertisement = read.lines;
    command.rest = read.rest;
    return command;
  } catch (err) {
    channel.close();
    throw err;
  }
}

/** Keeps `command` waiting for the request that follows its advertisement, without holding the process for it. */
function park(session: Session, command: Command): void {
  unpark(session, undefined);
  session.parked = command;
  command.busy = false;
  letGo(session);
}

/** The parked command if it serves `service` and is still there; any other is told nothing is wanted and ends. */
function unpark(session: Session, service: string | undefined): Command | undefined {
  const command = session.parked;
  session.parked = undefined;
  if (!command || command.closed) return undefined;
  if (command.service !== service) {
    command.channel.end(FLUSH);
    return undefined;
  }
  command.busy = true;
  hold(session);
  return command;
}

function hold(session: Session): void {
  clearTimeout(session.idle);
  session.socket.ref();
  session.busy++;
}

/** One fewer command awaited; with none left, the connection no longer holds the process and closes after a while. */
function letGo(session: Session): void {
  if (--session.busy > 0) return;
  session.socket.unref();
  session.idle = setTimeout(() => {
    unpark(session, undefined);
    session.client.end();
  }, SSH_IDLE_MS);
  session.idle.unref();
}

interface Run {
  /** Once the command has ended: undefined if it succeeded, else the error to report. */
  outcome(): Promise<Error | undefined>;
  /** Once the command has ended: the error to report for a command that stopped short (even with exit code 0). */
  failure(): Promise<Error>;
}

/** Collects a command's stderr and exit status, and closes it if it runs past the deadline. */
function watch(channel: ClientChannel, shownUrl: string, service: string, timeoutMs: number): Run {
  let stderr = '';
  let status: { code: number | null; signal: string | undefined } = { code: null, signal: undefined };
  let timedOut = false;
  channel.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
  });
  channel.on('exit', (code: number | null, signal?: string) => (status = { code, signal }));
  const timer = setTimeout(() => {
    timedOut = true;
    channel.close();
  }, timeoutMs);
  timer.unref();
  const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
  void closed.then(() => clearTimeout(timer));
  const outcome = async (): Promise<Error | undefined> => {
    await closed;
    if (timedOut) return new TransientError(`${shownUrl}: no answer from ${service} within ${timeoutMs} ms`);
    if (status.code === 0) return undefined;
    return commandFailure(stderr, status, shownUrl, service);
  };
  return {
    outcome,
    failure: async () => (await outcome()) ?? commandFailure(stderr, status, shownUrl, service),
  };
}

/** What a failed git-upload-pack / git-receive-pack (or the server's wrapper around it) said, classified. */
function commandFailure(said: string, status: { code: number | null; signal: string | undefined }, shownUrl: string, service: string): Error {
  const text = said.trim().replace(/\s+/g, ' ').slice(0, 300);
  const how = status.signal ? `signal ${status.signal}` : status.code === null ? 'the connection closed' : `exit code ${status.code}`;
  const message = `${shownUrl}: ${service} failed (${how})${text ? `: ${text}` : ''}`;
  if (/does not appear to be a git repository|repository not found|not a git repository|no such (file|repository)/i.test(text)) return new NotFoundError(message);
  if (/permission denied|access denied|denied to|not allowed|forbidden|read[- ]only/i.test(text)) return new UnauthorizedError(message);
  return new TransientError(message);
}

/** Reads pkt-lines up to the advertisement's flush; null when the command ended first. An ERR line ends it too. */
async function readAdvertisement(output: AsyncIterator<Buffer>, shownUrl: string): Promise<{ lines: Buffer; rest: Buffer } | null> {
  let buffer = Buffer.alloc(0);
  let offset = 0;
  for (;;) {
    while (buffer.length - offset >= 4) {
      const length = Number.parseInt(buffer.toString('latin1', offset, offset + 4), 16);
      if (Number.isNaN(length) || (length > 0 && length < 4)) {
        throw new InputError(`${shownUrl}: the SSH server did not answer with git's protocol (${JSON.stringify(buffer.subarray(0, 40).toString('latin1'))})`);
      }
      if (length === 0) return { lines: buffer.subarray(0, offset + 4), rest: buffer.subarray(offset + 4) };
      if (buffer.length - offset < length) break;
      const payload = buffer.toString('utf8', offset + 4, offset + length);
      if (payload.startsWith('ERR ')) throw commandFailure(payload.slice(4), { code: null, signal: undefined }, shownUrl, 'the server');
      offset += length;
    }
    const next = await output.next();
    if (next.done) return null;
    buffer = Buffer.concat([buffer, next.value]);
  }
}

/**
 * The channel's output, read as it arrives: a channel whose output nobody reads never closes, and
 * an open one keeps the process alive. isomorphic-git holds a whole pack in memory anyway.
 */
function drain(channel: ClientChannel): AsyncIterator<Buffer> {
  const chunks: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  channel.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    notify();
  });
  channel.once('end', () => {
    ended = true;
    notify();
  });
  channel.once('close', () => {
    ended = true;
    notify();
  });
  return {
    async next() {
      while (chunks.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      const value = chunks.shift();
      return value ? { done: false, value } : { done: true, value: undefined };
    },
  };
}

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

async function* single(body: Buffer): AsyncIterableIterator<Uint8Array> {
  yield body;
}

/** The command's output after the advertisement, then its outcome: a failed command fails the read. */
async function* rest(first: Buffer, output: AsyncIterator<Buffer>, run: Run): AsyncIterableIterator<Uint8Array> {
  if (first.length > 0) yield first;
  for (let next = await output.next(); !next.done; next = await output.next()) yield next.value;
  const failure = await run.outcome();
  if (failure) throw failure;
}

function response(request: GitHttpRequest, contentType: string, body: AsyncIterableIterator<Uint8Array>): GitHttpResponse {
  return { url: request.url, method: request.method, statusCode: 200, statusMessage: 'OK', headers: { 'content-type': contentType }, body };
}
