// Docker credential helpers (`docker-credential-<name> get`): the server URL on stdin, JSON on stdout.
// Protocol: https://github.com/docker/docker-credential-helpers#development
import { spawn } from 'node:child_process';
import * as z from '../zod.js';
import { InputError } from '../errors.js';
import type { Credentials } from './credentials.js';

/** What a helper prints for `get`. */
export const HelperCredentials = z.object({ Username: z.string(), Secret: z.string() });
export type HelperCredentials = z.output<typeof HelperCredentials>;

const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs `docker-credential-<helper> get` for `serverUrl`; null when the helper has no credentials for it.
 * Errors name the helper and its exit, never what it printed: its output may hold the secret.
 */
export async function runCredentialHelper(helper: string, serverUrl: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Credentials | null> {
  if (!HELPER_NAME_RE.test(helper)) throw new InputError(`credential helper name "${helper}" is not a plain name`);
  const command = `docker-credential-${helper}`;
  const { code, stdout, stderr } = await run(command, serverUrl, timeoutMs);
  if (code !== 0) {
    // The helpers' own wording for "nothing stored" (credentials.NewErrCredentialsNotFound).
    if (/credentials not found/i.test(`${stdout}\n${stderr}`)) return null;
    throw new InputError(`${command} get failed for ${serverUrl} (${code === null ? 'killed or timed out' : `exit ${code}`})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new InputError(`${command} get printed something that is not JSON for ${serverUrl}`);
  }
  const parsed = HelperCredentials.safeParse(json);
  if (!parsed.success) throw new InputError(`${command} get printed no Username and Secret for ${serverUrl}`);
  const { Username: username, Secret: password } = parsed.data;
  // "<token>" marks an identity token for OAuth refresh, which we do not support; Secret alone is no password.
  if (username === '<token>') {
    throw new InputError(`${command} returned an identity token for ${serverUrl}; tagpilot needs a username and password`);
  }
  return username || password ? { username, password } : null;
}

function run(command: string, input: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new InputError(`credential helper ${command} is not on PATH`)
          : new InputError(`cannot run credential helper ${command}: ${err.code ?? err.message}`),
      );
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit code tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
