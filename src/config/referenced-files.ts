// Files the config names (a CA, a Docker config, a signing key) must be readable when tagpilot
// starts, not when a run first needs them hours later. Secret files are read by resolve-secrets.ts.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Config } from './schema.js';
import type { LocatedProblem } from './located-problem.js';

/** One problem for each named file that is missing, unreadable or a folder. */
export function referencedFileProblems(config: Config): LocatedProblem[] {
  const files: Array<{ path: PropertyKey[]; file: string }> = [];
  config.registries.forEach((r, i) => {
    if (r.caFile) files.push({ path: ['registries', i, 'caFile'], file: r.caFile });
    if (r.auth && 'dockerConfig' in r.auth) files.push({ path: ['registries', i, 'auth', 'dockerConfig'], file: r.auth.dockerConfig });
  });
  config.automations.forEach((a, i) => {
    if (a.git.signingKeyFile) files.push({ path: ['automations', i, 'git', 'signingKeyFile'], file: a.git.signingKeyFile });
  });
  return files.flatMap(({ path, file }) => {
    const problem = unreadable(file);
    return problem ? [{ path, message: `cannot read ${file}: ${problem}` }] : [];
  });
}

function unreadable(file: string): string | null {
  // `~` as a shell would read it: Docker config paths are often written that way.
  const full = file === '~' || file.startsWith('~/') ? `${homedir()}${file.slice(1)}` : file;
  try {
    if (statSync(full).isDirectory()) return 'it is a folder, not a file';
    accessSync(full, constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
  }
}
