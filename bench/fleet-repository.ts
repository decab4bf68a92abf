// The fleet repository the git benchmarks edit: 5,000 small manifests in 50 folders, 20 of them with
// an `$imagepolicy: app` marker on their image field, and 50 earlier updates of those 20 as history
// (as a busy automation leaves it); and the git CLI's way of making the same edit.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestGitServer } from '../test/helpers/git-server.js';
import { runCommand } from '../test/helpers/run-command.js';

const FOLDERS = 50;
const FILES_PER_FOLDER = 100;
/** Manifests with a marker: what each run edits. */
export const MARKED = 20;
/** Commits of history before the runs, each moving the 20 marked files, as a busy automation leaves them. */
const HISTORY = 50;

/** Every git the CLI side runs: no user or system config, so a developer's settings cannot skew it. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.test',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.test',
  };
}

function manifest(image: string, folder: number, file: number, marked: boolean): string {
  const field = marked ? `${image}:1.0.0 # {"$imagepolicy": "app"}` : `registry.example.com/acme/svc-${folder}-${file}:2.${file}.0`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-${folder}-${file}
  labels: { team: team-${folder % 7} }
spec:
  replicas: ${1 + (file % 3)}
  template:
    spec:
      containers:
        - name: main
          image: ${field}
          resources: { requests: { cpu: 100m, memory: 64Mi } }
`;
}

/**
 * A 5,000-file repository with HISTORY earlier updates of the marked files, built with the git CLI
 * and pushed once (faster than commitScript for this size).
 */
export async function seedRepository(server: TestGitServer, scratch: string, env: NodeJS.ProcessEnv, image: string): Promise<string> {
  const url = await server.createRepo('bench', { 'README.md': 'bench\n' });
  const work = join(scratch, 'seed');
  await runCommand('git', ['clone', '--quiet', url, work], { env });
  const step = Math.floor((FOLDERS * FILES_PER_FOLDER) / MARKED);
  let index = 0;
  for (let folder = 0; folder < FOLDERS; folder++) {
    const dir = join(work, 'clusters', `team-${String(folder).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: FILES_PER_FOLDER }, (_, file) =>
        writeFile(join(dir, `svc-${String(file).padStart(3, '0')}.yaml`), manifest(image, folder, file, index++ % step === 0)),
      ),
    );
  }
  await runCommand('git', ['add', '-A'], { cwd: work, env });
  await runCommand('git', ['commit', '--quiet', '-m', 'seed'], { cwd: work, env });
  for (let i = 1; i <= HISTORY; i++) await cliEdit(work, env, image, `0.0.${i}`, false);
  await runCommand('git', ['push', '--quiet', 'origin', 'main'], { cwd: work, env });
  await rm(work, { recursive: true, force: true });
  return url;
}

/** The git CLI's best effort at the same run: find the marked files, set the tag, commit, push. */
export async function cliEdit(work: string, env: NodeJS.ProcessEnv, image: string, tag: string, push = true): Promise<void> {
  const { stdout } = await runCommand('git', ['grep', '-l', '--fixed-strings', '$imagepolicy', '--', 'clusters'], { cwd: work, env });
  const files = stdout.split('\n').filter(Boolean);
  await Promise.all(
    files.map(async (file) => {
      const path = join(work, file);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/[^ ]+( # \{"\$imagepolicy": "app"\})/g, `${image}:${tag}$1`));
    }),
  );
  await runCommand('git', ['commit', '--quiet', '-am', `Update ${image} to ${tag}`], { cwd: work, env });
  if (push) await runCommand('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, env });
}

