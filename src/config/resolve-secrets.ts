// Reads secrets named by passwordEnv/passwordFile/secretEnv/secretFile into the config, once, at load.
import { readFileSync } from 'node:fs';
import type { Config } from './schema.js';
import type { LocatedProblem } from './located-problem.js';

interface SecretHolder {
  [key: string]: unknown;
}

/** Fills `password` / `secret` from their Env/File variants; returns what could not be read. */
export function resolveSecrets(config: Config, env: NodeJS.ProcessEnv): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const resolveOne = (holder: SecretHolder | undefined, field: 'password' | 'secret', path: PropertyKey[]) => {
    if (!holder) return;
    const envName = holder[`${field}Env`];
    const fileName = holder[`${field}File`];
    if (typeof envName === 'string') {
      const value = env[envName];
      if (value === undefined || value === '') {
        problems.push({ path: [...path, `${field}Env`], message: `environment variable ${envName} is not set` });
      } else holder[field] = value;
    } else if (typeof fileName === 'string') {
      try {
        holder[field] = readFileSync(fileName, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
        problems.push({ path: [...path, `${field}File`], message: `cannot read ${fileName}: ${why}` });
      }
    }
  };
  config.automations.forEach((a, i) => resolveOne(a.git.auth, 'password', ['automations', i, 'git', 'auth']));
  config.registries.forEach((r, i) => {
    if (r.auth && 'username' in r.auth) resolveOne(r.auth, 'password', ['registries', i, 'auth']);
  });
  config.webhooks.forEach((w, i) => resolveOne(w, 'secret', ['webhooks', i]));
  config.automations.forEach((a, i) => {
    const tokenEnv = a.pullRequest?.tokenEnv;
    if (tokenEnv !== undefined && !env[tokenEnv]) {
      problems.push({ path: ['automations', i, 'pullRequest', 'tokenEnv'], message: `environment variable ${tokenEnv} is not set` });
    }
  });
  return problems;
}
