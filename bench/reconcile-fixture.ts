// What bench/start.bench.ts and bench/paired-reconcile.ts share to time whole `tagpilot reconcile`
// processes: the config of the fleet repository's one automation, a new tag before each run, and a
// run as a user's shell starts it (a fresh process, logs off). The git benches set up on tmpfs here too.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startGitServer, type TestGitServer } from '../test/helpers/git-server.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry-server.js';
import { runCommand } from '../test/helpers/run-command.js';
import { makeTempDir } from '../test/helpers/temp-dir.js';

/**
 * What `start` makes (a scratch folder, servers), made with TMPDIR on tmpfs where there is one: it
 * keeps disk noise out of git comparisons (the servers' repositories live there too). TMPDIR is as
 * it was afterwards.
 */
export async function onTmpfs<T>(start: () => Promise<T>): Promise<T> {
  const savedTmp = process.env.TMPDIR;
  if (existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
  try {
    return await start();
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
}

/** A scratch folder and the two servers, on tmpfs (onTmpfs). Stop the servers and remove the folder when done. */
export function startOnTmpfs(prefix: string): Promise<{ scratch: string; git: TestGitServer; registry: TestRegistry }> {
  return onTmpfs(async () => {
    const scratch = await makeTempDir(prefix);
    const [git, registry] = await Promise.all([startGitServer(), startRegistry()]);
    return { scratch, git, registry };
  });
}

/** The repository fleet-repository.ts seeds and the registry its marked files name. */
export interface ReconcileFixture {
  scratch: string;
  registry: TestRegistry;
  /** `${registry.host}/acme/app`, the image the marked files hold. */
  image: string;
  /** The seeded repository's URL. */
  url: string;
}

/** A config of one automation over `fixture`, keeping its state in `stateDir`; written in the scratch folder, its path returned. */
export async function reconcileConfig(fixture: ReconcileFixture, stateDir: string): Promise<string> {
  const path = join(fixture.scratch, `${stateDir.replaceAll('/', '_')}.yaml`);
  await writeFile(
    path,
    `stateDir: ${stateDir}
registries:
  - host: ${fixture.registry.host}
    insecure: true
images:
  - name: app
    repository: ${fixture.image}
policies:
  - name: app
    image: app
    semver: '>=1.0.0'
automations:
  - name: bench
    git:
      url: ${fixture.url}
      branch: main
      author: { name: tagpilot, email: tagpilot@example.test }
    paths: [clusters]
`,
  );
  return path;
}

/** Pushes the next tag (1.0.1, 1.0.2, …) of the fixture's image, so every run has a change to make; the tag. */
export function tagPusher(fixture: ReconcileFixture): () => Promise<string> {
  let version = 1;
  return async () => {
    const tag = `1.0.${version++}`;
    await fixture.registry.pushImage('acme/app', tag);
    return tag;
  };
}

/** Wall time of one `node [nodeArgs] MAIN reconcile --config CONFIG`, which must push. */
export async function timeReconcile(main: string, config: string, nodeArgs: readonly string[] = []): Promise<number> {
  const start = performance.now();
  const { stdout } = await runCommand(process.execPath, [...nodeArgs, main, 'reconcile', '--config', config], {
    env: { ...process.env, TAGPILOT_LOG_LEVEL: 'silent' },
    timeoutMs: 120_000,
  });
  const ms = performance.now() - start;
  if (!/pushed [0-9a-f]{12}/.test(stdout)) throw new Error(`reconcile pushed nothing:\n${stdout}`);
  return ms;
}
