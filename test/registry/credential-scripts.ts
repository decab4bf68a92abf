// Docker config files and `docker-credential-<name>` helpers written into a temp folder for a test.
import { chmod, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { shellQuote } from '../helpers/git-scripts.js';

/** What a fake helper answers for one server URL: credentials, "not found", or a failure. */
export type HelperAnswer = { username: string; secret: string } | 'not-found' | { fail: string };

/**
 * Writes `docker-credential-<name>` into `dir`: it appends each server URL it is asked for to
 * `<dir>/<name>.calls` and answers from `answers` (anything else is "not found").
 */
export async function writeCredentialHelper(dir: string, name: string, answers: Record<string, HelperAnswer>): Promise<void> {
  const branches = Object.entries(answers).map(([server, answer]) => {
    let body: string;
    if (answer === 'not-found') body = `echo 'credentials not found in native keychain'; exit 1`;
    else if ('fail' in answer) body = `echo ${shellQuote(answer.fail)}; echo ${shellQuote(answer.fail)} >&2; exit 3`;
    else body = `printf '%s' ${shellQuote(JSON.stringify({ ServerURL: server, Username: answer.username, Secret: answer.secret }))}`;
    return `  ${shellQuote(server)}) ${body} ;;`;
  });
  const script = [
    '#!/bin/sh',
    '[ "$1" = get ] || exit 2',
    'read -r server',
    `printf '%s\\n' "$server" >> ${shellQuote(join(dir, `${name}.calls`))}`,
    'case "$server" in',
    ...branches,
    `  *) echo 'credentials not found in native keychain'; exit 1 ;;`,
    'esac',
    '',
  ].join('\n');
  const path = join(dir, `docker-credential-${name}`);
  await writeFile(path, script);
  await chmod(path, 0o755);
}

/** Writes a config.json and returns its path. */
export async function writeDockerConfig(dir: string, config: unknown, name = 'config.json'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

/** Puts `dir` first on PATH until the returned function is called. */
export function prependPath(dir: string): () => void {
  const previous = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${previous ?? ''}`;
  return () => {
    process.env.PATH = previous;
  };
}

/** Base64 of `user:password`, as `docker login` writes auths.<host>.auth. */
export function dockerAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64');
}
