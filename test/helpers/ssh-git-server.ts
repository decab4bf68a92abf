// A real OpenSSH server on 127.0.0.1 serving the bare repositories under one folder: `sshd -D -e`
// with its own config, a temporary host key and authorized_keys, so clients run git-upload-pack and
// git-receive-pack over SSH exactly as against a hosting service. As there (GitLab's and gitolite's
// forced command), each key may only run those two, with paths taken from the served folder:
// ssh://USER@127.0.0.1:PORT/acme/fleet.git is <root>/acme/fleet.git. Pair it with startGitServer()
// on the same folder for creating repositories, reading them and installing hooks.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { appendFile, chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DaemonStartError, startDaemon, type Daemon } from './daemon-process.js';
import { getFreePort, isAddressInUse } from './free-port.js';
import { runCommand } from './run-command.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** Debian puts sshd outside a normal user's PATH. */
export const SSHD = '/usr/sbin/sshd';
/** OpenSSH refuses to start as root without its privilege-separation folder (its service unit makes it). */
const PRIVSEP_DIR = '/run/sshd';
const START_ATTEMPTS = 3;
/**
 * An encrypted key is encrypted as ssh-keygen always does (bcrypt-pbkdf, aes256-ctr), with one KDF
 * round instead of 16: unlocking it is the same code, but the default costs ~0.5 s of JavaScript
 * (ssh2's bcrypt-pbkdf) each time tagpilot opens the key.
 */
export const KDF_ROUNDS = ['-a', '1'];

export type SshKeyType = 'ed25519' | 'rsa' | 'ecdsa';

/**
 * An RSA key pair of ssh-keygen's default size (3072 bits), made once and kept in ssh-keys/, copied
 * to `file` and `file`.pub, encrypted with `passphrase` if given (as ssh-keygen -N would, KDF_ROUNDS).
 * Finding RSA primes costs ssh-keygen 0.5-4.5 s of CPU a key; ed25519 and ECDSA keys cost nothing
 * and are made fresh. Test-only: the key signs and logs in to nothing outside this suite.
 */
export async function keptRsaKey(file: string, passphrase = ''): Promise<string> {
  await copyFile(new URL('./ssh-keys/rsa-3072', import.meta.url), file);
  await chmod(file, 0o600);
  await copyFile(new URL('./ssh-keys/rsa-3072.pub', import.meta.url), `${file}.pub`);
  if (passphrase) await runCommand('ssh-keygen', ['-q', '-p', ...KDF_ROUNDS, '-P', '', '-N', passphrase, '-f', file]);
  return file;
}

export interface TestSshServer {
  port: number;
  /** The login every URL uses: sshd runs the git commands as this user. */
  user: string;
  /** ssh://USER@127.0.0.1:PORT/<repo>.git, for the repository <root>/<repo>.git. */
  url(repo: string): string;
  /** A known_hosts file with the server's host key under [127.0.0.1]:PORT. */
  knownHostsFile: string;
  /** The host key's line as ssh-keyscan would write it. */
  knownHostsLine: string;
  /** SHA256:… of the host key, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** An authorized ed25519 key without a passphrase. */
  clientKeyFile: string;
  /** GIT_SSH_COMMAND for the git CLI: clientKeyFile, knownHostsFile, and nothing from ~/.ssh. */
  gitSshCommand: string;
  /**
   * Makes a new client key pair in the server's folder; authorized unless `authorize` is false, to
   * serve git unless `command` forces another command (a server that hangs, say). Returns the private key's path.
   */
  makeClientKey(name: string, options?: { type?: SshKeyType; passphrase?: string; authorize?: boolean; command?: string }): Promise<string>;
  /** Every command a git key ran so far (e.g. "git-upload-pack '/acme/fleet.git'"), oldest first. */
  commands(): Promise<string[]>;
  /** sshd's log so far (with -e it logs to stderr), for a failed test's message. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts sshd serving the repositories under `root` (absolute paths in URLs). */
export async function startSshGitServer(root: string): Promise<TestSshServer> {
  const dir = await makeTempDir('sshd');
  try {
    const hostKey = join(dir, 'host_ed25519');
    const authorizedKeys = join(dir, 'authorized_keys');
    const serveGit = join(dir, 'serve-git');
    const commandLog = join(dir, 'commands.log');
    await writeFile(commandLog, '');
    await writeFile(serveGit, serveGitScript(root, commandLog), { mode: 0o755 });
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tagpilot-test-host', '-f', hostKey]);
    await writeFile(authorizedKeys, '', { mode: 0o600 });
    if (!existsSync(PRIVSEP_DIR)) mkdirSync(PRIVSEP_DIR, { mode: 0o755, recursive: true });
    if (!(await runCommand('getent', ['passwd', 'sshd']).then(() => true, () => false))) {
      throw new Error('sshd needs its privilege-separation user "sshd" (openssh-server creates it when configured; .ci/run adds it)');
    }

    const makeClientKey: TestSshServer['makeClientKey'] = async (name, { type = 'ed25519', passphrase = '', authorize = true, command = serveGit } = {}) => {
      const file = join(dir, name);
      if (type === 'rsa') await keptRsaKey(file, passphrase);
      else await runCommand('ssh-keygen', ['-q', '-t', type, ...KDF_ROUNDS, '-N', passphrase, '-C', name, '-f', file]);
      if (authorize) await appendFile(authorizedKeys, `command="${command.replace(/"/g, '\\"')}",no-pty,no-port-forwarding ${await readFile(`${file}.pub`, 'utf8')}`);
      return file;
    };
    const clientKeyFile = await makeClientKey('client_ed25519');

    const penalties = await knowsPerSourcePenalties(dir, hostKey, authorizedKeys);
    let port = 0;
    let daemon: Daemon | undefined;
    for (let attempt = 1; ; attempt++) {
      port = await getFreePort();
      const config = join(dir, 'sshd_config');
      await writeFile(config, sshdConfig(port, dir, hostKey, authorizedKeys, penalties));
      daemon = startDaemon({ name: 'sshd', command: SSHD, args: ['-D', '-e', '-f', config], cwd: dir });
      try {
        await daemon.waitUntilReady(() => answersSsh(port), { timeoutMs: 10_000 });
        break;
      } catch (err) {
        await daemon.kill();
        if (attempt < START_ATTEMPTS && err instanceof DaemonStartError && isAddressInUse(err.output)) continue;
        throw err;
      }
    }

    const [keyType, keyBase64] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
    const knownHostsLine = `[127.0.0.1]:${port} ${keyType} ${keyBase64}`;
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, `${knownHostsLine}\n`);
    const user = (await runCommand('id', ['-un'])).stdout.trim();
    const running = daemon;
    let stopped = false;
    return {
      port,
      user,
      url: (repo) => `ssh://${user}@127.0.0.1:${port}/${repo.endsWith('.git') ? repo : `${repo}.git`}`,
      knownHostsFile,
      knownHostsLine,
      hostKeyFingerprint: `SHA256:${createHash('sha256').update(Buffer.from(keyBase64!, 'base64')).digest('base64').replace(/=+$/, '')}`,
      clientKeyFile,
      gitSshCommand: `ssh -F none -i ${clientKeyFile} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHostsFile}`,
      makeClientKey,
      commands: async () => (await readFile(commandLog, 'utf8')).split('\n').filter(Boolean),
      output: () => running.output(),
      async stop() {
        if (stopped) return;
        stopped = true;
        await running.stop();
        await removeTempDir(dir);
      },
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

function sshdConfig(port: number, dir: string, hostKey: string, authorizedKeys: string, penalties: boolean): string {
  return [
    // OpenSSH 9.8+ blocks a source address for a while after refused logins and connections closed
    // before login, which is what the refusal tests make on purpose; older versions lack the option.
    ...(penalties ? ['PerSourcePenalties no'] : []),
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The temp folder and key files are not laid out as StrictModes wants a home directory.
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    // As the HTTP test server does: no system or user git config leaks into the server's git. And
    // no shell set-up: sshd runs the forced command with the login user's shell, and bash reads
    // $HOME/.bashrc for a command over SSH, so a developer's (a pyenv init of ~180 processes here)
    // ran on every connection, ~0.15 s of CPU each.
    `SetEnv GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C HOME=${dir}`,
    '',
  ].join('\n');
}

/** Whether this sshd understands PerSourcePenalties (OpenSSH 9.8+): `sshd -t` checks a config with it. */
async function knowsPerSourcePenalties(dir: string, hostKey: string, authorizedKeys: string): Promise<boolean> {
  const probe = join(dir, 'sshd_config.probe');
  await writeFile(probe, sshdConfig(22, dir, hostKey, authorizedKeys, true));
  return runCommand(SSHD, ['-t', '-f', probe]).then(
    () => true,
    () => false,
  );
}

/** The forced command: git-upload-pack or git-receive-pack on a repository under `root`, nothing else. */
function serveGitScript(root: string, commandLog: string): string {
  // String.raw, so the script reads here as the shell will see it; the lines that need the shell's
  // ${...} are plain strings below. Parameter expansions rather than cut and sed: no process but git
  // per connection.
  const script = String.raw`#!/bin/sh
set -e
printf '%s\n' "$SSH_ORIGINAL_COMMAND" >> '@LOG@'
cd '@ROOT@'
case "$SSH_ORIGINAL_COMMAND" in
  "git-upload-pack '"*"'" | "git-receive-pack '"*"'") ;;
  *) echo "this key may only run git-upload-pack or git-receive-pack" >&2; exit 1 ;;
esac
`;
  const run = [
    'service=${SSH_ORIGINAL_COMMAND%% *}',
    "path=${SSH_ORIGINAL_COMMAND#* \\'}",
    "path=${path%\\'}",
    'exec "$service" "${path#/}"',
    '',
  ].join('\n');
  return `${script}${run}`.replace('@ROOT@', root).replace('@LOG@', commandLog);
}

/** True once the port answers with an SSH banner, not merely accepts connections. */
function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('SSH-')));
  });
}
