// Flux clones over SSH as often as HTTPS; tagpilot pushes over HTTP(S) only, with a token.

/** The https:// URL of the same repository, and whether it had to be changed from SSH. */
export function httpsGitUrl(url: string): { url: string; fromSsh: boolean } | null {
  if (/^https?:\/\//i.test(url)) return { url, fromSsh: false };
  // ssh://git@host[:port]/path — the SSH port says nothing about the HTTPS one, so it is dropped.
  const ssh = /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(url);
  if (ssh) return { url: `https://${ssh[1]}/${ssh[2]}`, fromSsh: true };
  // scp-like git@host:path
  const scp = /^(?:[^@/]+@)?([^/:]+):(?!\/)(.+)$/.exec(url);
  if (scp) return { url: `https://${scp[1]}/${scp[2]}`, fromSsh: true };
  return null;
}
