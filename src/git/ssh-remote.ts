// The two ways git spells an SSH remote (git-clone(1) "GIT URLS"): ssh://[user@]host[:port]/path and
// the scp-like user@host:path, whose path is relative to the login's home unless it starts with "/".
import { userInfo } from 'node:os';

/** Where an SSH remote's repository is, and how git names it to the server. */
export interface SshRemote {
  user: string;
  host: string;
  port: number;
  /** The path as git passes it to git-upload-pack / git-receive-pack. */
  path: string;
}

/** scp-like: a user (required here, as in SPEC §1's git@host:path), a host without "/" or ":", then ":" and a path. */
const SCP_LIKE = /^([^@/:\s]+)@([^@/:\s]+|\[[^\]]+\]):(?!\/\/)(.+)$/;

/** Whether `url` is one of the SSH forms (it may still be malformed: see parseSshRemote). */
export function isSshUrl(url: string): boolean {
  return /^ssh:\/\//i.test(url) || SCP_LIKE.test(url);
}

/** The remote an SSH URL names, or undefined when `url` is not a well-formed SSH URL. */
export function parseSshRemote(url: string): SshRemote | undefined {
  const scp = SCP_LIKE.exec(url);
  if (scp) return { user: scp[1]!, host: unbracket(scp[2]!), port: 22, path: scp[3]! };
  if (!/^ssh:\/\//i.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!parsed.hostname || parsed.pathname.length <= 1 || parsed.password) return undefined;
  const pathname = decodeURIComponent(parsed.pathname);
  return {
    user: parsed.username ? decodeURIComponent(parsed.username) : localLogin(),
    host: unbracket(parsed.hostname),
    port: parsed.port ? Number(parsed.port) : 22,
    // git sends ssh://host/~user/repo as "~user/repo": a path from that user's home.
    path: pathname.startsWith('/~') ? pathname.slice(1) : pathname,
  };
}

/** The name known_hosts files use for the remote: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(remote: Pick<SshRemote, 'host' | 'port'>): string {
  return remote.port === 22 ? remote.host : `[${remote.host}]:${remote.port}`;
}

/** The command line git runs on the server, the path quoted the way git quotes it (sq_quote_buf). */
export function remoteCommand(service: string, path: string): string {
  return `${service} '${path.replace(/'/g, "'\\''").replace(/!/g, "'\\!'")}'`;
}

/**
 * Without a user in the URL, ssh logs in as the local user. A container running as a uid without a
 * passwd entry has none (userInfo throws); then $USER, or git, the login of every hosting service.
 */
function localLogin(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || 'git';
  }
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The same repository's https:// URL on the same host, where its hosting service's web API lives (SSH's port is not the web's). */
export function sshRemoteWebUrl(remote: SshRemote): URL {
  const host = remote.host.includes(':') ? `[${remote.host}]` : remote.host;
  return new URL(`https://${host}/${remote.path.replace(/^\/+/, '')}`);
}
