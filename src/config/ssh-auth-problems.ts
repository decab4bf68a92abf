// What an SSH remote needs, checked when the config loads (so `tagpilot check` names it) rather than
// on the first run: the key and known_hosts files readable, the server listed in known_hosts (a run
// would refuse it), and the passphrase variable set.
import { readFileSync } from 'node:fs';
import { knownHostKeys } from '../git/known-hosts.js';
import { knownHostsName, parseSshRemote } from '../git/ssh-remote.js';
import type { LocatedProblem } from './located-problem.js';
import type { GitConfig } from './schema.js';

/** Problems with `git`'s SSH auth, at `path` (automations[i].git); none for other remotes. */
export function sshAuthProblems(git: GitConfig, path: PropertyKey[], env: NodeJS.ProcessEnv): LocatedProblem[] {
  const auth = git.auth;
  const remote = parseSshRemote(git.url);
  if (!auth || !('sshKeyFile' in auth) || !remote) return [];
  const problems: LocatedProblem[] = [];
  const read = (key: 'sshKeyFile' | 'knownHostsFile'): string | undefined => {
    try {
      return readFileSync(auth[key], 'utf8');
    } catch (err) {
      problems.push({ path: [...path, 'auth', key], message: `cannot read ${auth[key]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return undefined;
    }
  };
  read('sshKeyFile');
  const knownHosts = read('knownHostsFile');
  const host = knownHostsName(remote);
  if (knownHosts !== undefined && !knownHostKeys(knownHosts, host).some((k) => !k.revoked)) {
    const scan = `ssh-keyscan${remote.port === 22 ? '' : ` -p ${remote.port}`} ${remote.host}`;
    problems.push({
      path: [...path, 'auth', 'knownHostsFile'],
      message: `${auth.knownHostsFile} lists no key for ${host}, so the server would be refused; add its line (${scan}) once you have checked the fingerprint`,
    });
  }
  const passphraseEnv = auth.sshKeyPassphraseEnv;
  if (passphraseEnv !== undefined && !env[passphraseEnv]) {
    problems.push({ path: [...path, 'auth', 'sshKeyPassphraseEnv'], message: `environment variable ${passphraseEnv} is not set` });
  }
  return problems;
}
