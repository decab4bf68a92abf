// The SSH client reads a command's exit status however the server's packets fall into TCP reads.
//
// OpenSSH sends the exec reply, the command's stderr, its exit status and the channel close as soon
// as each is ready; when a command fails within a millisecond they can arrive in one read, and the
// exit status then reaches the client before code that awaited the exec reply runs. Seen under load
// against the real sshd (git-ssh-client.test.ts, "reports what the server said when it will not run
// git": "(the connection closed)" where it should say "(exit code 1)"), but not on demand: here an
// in-process ssh2 server on 127.0.0.1 writes all four in one go, every time.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { UnauthorizedError } from '../../src/errors.js';
import { createGitSshClient } from '../../src/git/git-ssh-client.js';
import { parseSshRemote } from '../../src/git/ssh-remote.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * An ed25519 key pair ssh2 can read back. Its generateKeyPairSync drops a leading zero byte of the
 * public key, so about 1 pair in 256 does not parse ("Malformed OpenSSH private key": mscdex/ssh2#1513,
 * #1390); such a pair is drawn again.
 */
function ed25519Pair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

describe('git over SSH: exit status in the same read as the exec reply', () => {
  let dir: string;
  let server: ssh2.Server;
  let port: number;
  let keyFile: string;
  let knownHostsFile: string;
  /** The server's side of every connection: the client keeps an idle one open for SSH_IDLE_MS (5 s), which close() would wait out. */
  const connections: ssh2.Connection[] = [];

  before(async () => {
    dir = await makeTempDir('ssh-packet-order');
    const host = ed25519Pair();
    const user = ed25519Pair();
    keyFile = join(dir, 'id_ed25519');
    await writeFile(keyFile, user.private, { mode: 0o600 });
    server = new ssh2.Server({ hostKeys: [host.private] }, (client) => {
      connections.push(client);
      // As the client does: each handshake packet otherwise waits ~90 ms for a delayed ACK (the cork above still makes one write).
      (client as unknown as { _sock: Socket })._sock.setNoDelay(true);
      client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      client.on('session', (accept) => {
        accept().once('exec', (acceptExec) => {
          const channel = acceptExec();
          // Corked, so the reply to exec and all that follows leave in one write (ssh2 keeps the socket as _sock).
          const socket = (client as unknown as { _sock: Socket })._sock;
          socket.cork();
          channel.stderr.write('Permission denied: this key is read-only\n');
          channel.exit(1);
          channel.end();
          process.nextTick(() => socket.uncork());
        });
      });
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${host.public.trim()}\n`);
  });
  after(async () => {
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const connection of connections) connection.end();
    await closed;
    if (dir) await removeTempDir(dir);
  });

  it('reports the exit code and what the command said', async () => {
    const url = `ssh://git@127.0.0.1:${port}/fleet.git`;
    for (let i = 0; i < 5; i++) {
      const client = createGitSshClient(parseSshRemote(url)!, { sshKeyFile: keyFile, knownHostsFile }, url, 10_000);
      await assert.rejects(client.request({ url: 'https::x/info/refs?service=git-upload-pack', method: 'GET' }), (err: Error) => {
        assert.ok(err instanceof UnauthorizedError, `${err.name}: ${err.message}`);
        assert.match(err.message, /git-upload-pack failed \(exit code 1\): Permission denied: this key is read-only/);
        return true;
      });
    }
  });
});
