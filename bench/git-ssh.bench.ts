// Issue 16 aim: a warm automation run over SSH (fetch, edit 20 marked files among 5,000, commit,
// push) within 1.3x of the git CLI doing the same over SSH to the same sshd, in the same process run.
// The CLI uses the same key and known_hosts (GIT_SSH_COMMAND). Each tagpilot run is a new
// GitRepository, so it pays for its own SSH connection, as each CLI command pays for its own.
// The repository is git.bench.ts's; sshd serves the folder the HTTP server seeded.
import { join } from 'node:path';
import { runAutomation } from '../src/automation/run-automation.js';
import { AutomationConfig } from '../src/config/schema.js';
import { createLogger } from '../src/log.js';
import type { ImagePick } from '../src/update/apply-setters.js';
import { startGitServer } from '../test/helpers/git-server.js';
import { runCommand } from '../test/helpers/run-command.js';
import { startSshGitServer } from '../test/helpers/ssh-git-server.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { onTmpfs } from './reconcile-fixture.js';
import { median, type Benchmark } from './bench-result.js';
import { cliEdit, gitEnv, MARKED, seedRepository } from './fleet-repository.js';
import { IMAGE, RUNS, time } from './git.bench.js';

export const run: Benchmark = async () => {
  const { scratch, server, sshd } = await onTmpfs(async () => {
    const scratch = await makeTempDir('bench-git-ssh');
    const server = await startGitServer();
    return { scratch, server, sshd: await startSshGitServer(server.root) };
  });
  const env = { ...gitEnv(scratch), GIT_SSH_COMMAND: sshd.gitSshCommand };
  try {
    await seedRepository(server, scratch, gitEnv(scratch), IMAGE);
    const url = sshd.url('bench');
    const automation = AutomationConfig.parse({
      name: 'bench',
      git: {
        url,
        branch: 'main',
        auth: { sshKeyFile: sshd.clientKeyFile, knownHostsFile: sshd.knownHostsFile },
        author: { name: 'tagpilot', email: 'tagpilot@example.test' },
      },
      paths: ['clusters'],
    });
    let version = 1;
    const log = createLogger('silent');
    const tagpilotRun = async (stateDir: string): Promise<void> => {
      const picks = new Map<string, ImagePick>([['app', { policy: 'app', repository: IMAGE, tag: `1.0.${version++}` }]]);
      const result = await runAutomation(automation, picks, { stateDir, log, knownPolicies: new Set(['app']) });
      if (result.changes.length !== MARKED) throw new Error(`expected ${MARKED} changes, got ${result.changes.length}`);
    };

    const warmState = join(scratch, 'warm-state');
    const cliWarmDir = join(scratch, 'cli-warm');
    await tagpilotRun(warmState);
    await runCommand('git', ['clone', '--quiet', '--single-branch', '-b', 'main', url, cliWarmDir], { env });
    const warm: number[] = [];
    const cliWarm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await time(() => tagpilotRun(warmState)));
      cliWarm.push(
        await time(async () => {
          await runCommand('git', ['fetch', '--quiet', 'origin', 'main'], { cwd: cliWarmDir, env });
          await runCommand('git', ['reset', '--quiet', '--hard', 'origin/main'], { cwd: cliWarmDir, env });
          await cliEdit(cliWarmDir, env, IMAGE, `1.0.${version++}`);
        }),
      );
    }
    return [
      {
        name: 'git over SSH: warm run, 5,000 files, 20 edits',
        unit: 'median ms',
        figure: median(warm),
        baselineName: 'git fetch + reset + edit + commit + push, over SSH',
        baseline: median(cliWarm),
        aim: '<= 1.3x baseline',
      },
    ];
  } finally {
    await sshd.stop();
    await server.stop();
    await removeTempDir(scratch);
  }
};
