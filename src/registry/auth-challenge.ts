// Parses `WWW-Authenticate` (RFC 7235) as registries send it: `Bearer realm="…",service="…",scope="…"`.

/** One authentication challenge from a 401. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const PARAM_RE = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;

/** The challenge in a WWW-Authenticate header, or null when there is none. */
export function parseAuthChallenge(header: string | undefined): AuthChallenge | null {
  if (!header) return null;
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) return null;
  const params: Record<string, string> = {};
  for (const m of match[2]!.matchAll(PARAM_RE)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}
