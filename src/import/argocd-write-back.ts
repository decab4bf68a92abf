// An Application's source plus Argo CD Image Updater's writeBackConfig → automations[] git, paths.
// Semantics from docs/basics/update-methods.md: method `argocd` (the default) or `git[:repocreds |
// :secret:[ns/]name]`; gitConfig.branch `base:target`; writeBackTarget `kustomization[:path]` or
// `helmvalues:path` (relative to the source path, or absolute from the repository root with `/`).
import { posix } from 'node:path';
import { envName, SECRETS_DIR, type AutomationInput } from './flux-context.js';
import type { ApplicationSource, WriteBackConfig } from './argocd-objects.js';

/** What the automation gets from the write-back settings. */
export interface ConvertedWriteBack {
  git: AutomationInput['git'];
  paths: string[];
}

/** `<secret>` of `git:secret:[<ns>/]<secret>`, or `repocreds` for Argo CD's own repository credentials. */
function credentialSource(method: string, note: (message: string) => void): string {
  if (method === 'argocd') {
    note('write-back-method argocd sets parameter overrides on the Application, without Git; tagpilot always commits to Git: converted to the git method for the Application\'s source repository');
    return 'repocreds';
  }
  if (method === 'git' || method === 'git:repocreds') return 'repocreds';
  const secret = /^git:secret:(?:[^/]+\/)?(.+)$/.exec(method)?.[1];
  if (secret) return secret;
  note(`write-back-method "${method}" is unknown; converted as git with Argo CD's repository credentials`);
  return 'repocreds';
}

/** Git settings and paths for one Application; `source` may be absent (an ImageUpdater whose Application is not among the files). */
export function convertWriteBack(
  appName: string,
  source: ApplicationSource | undefined,
  writeBack: WriteBackConfig,
  note: (message: string) => void,
): ConvertedWriteBack {
  const credentials = credentialSource(writeBack.method ?? 'argocd', note);
  const url = writeBack.gitConfig?.repository ?? source?.repoURL ?? `https://git.example.com/REPLACE-ME/${appName}.git`;
  if (!writeBack.gitConfig?.repository && !source) note(`the Application is not among the files: set git.url (placeholder ${url})`);
  const git: AutomationInput['git'] = { url };

  const [base, target] = splitBranch(writeBack.gitConfig?.branch);
  const revision = source?.targetRevision;
  const branch = base || (revision && revision !== 'HEAD' ? revision : undefined);
  if (branch) git.branch = branch;
  else note(`no branch (targetRevision ${revision ?? 'unset'}): using main; set git.branch if the default branch differs`);
  if (target?.includes('{{')) {
    git.pushBranch = `image-updater-${appName}`;
    note(`git-branch target "${target}" is a Go template; tagpilot pushes to the fixed branch ${git.pushBranch} instead`);
  } else if (target && target !== (branch ?? 'main')) git.pushBranch = target;

  const ssh = !/^https?:\/\//i.test(url);
  const secret = credentials === 'repocreds' ? 'argocd-repo-creds' : credentials;
  if (ssh) {
    // SPEC §1's SSH keys; the cast goes once the schema has them (added on a parallel branch).
    git.auth = {
      sshKeyFile: `${SECRETS_DIR}/${secret}/sshPrivateKey`,
      knownHostsFile: `${SECRETS_DIR}/argocd-ssh-known-hosts-cm/ssh_known_hosts`,
    };
    note(`git.auth uses SSH: mount Secret ${secret} (its sshPrivateKey) and ConfigMap argocd-ssh-known-hosts-cm under ${SECRETS_DIR}`);
  } else {
    const username = envName(secret, 'USERNAME');
    const password = envName(secret, 'PASSWORD');
    git.auth = { username: `\${${username}}`, passwordEnv: password };
    note(
      `git.auth reads ${username} and ${password} from the environment` +
        (credentials === 'repocreds' ? " (Argo CD's repository credentials for this URL)" : ` (the username and password of Secret ${secret})`),
    );
  }
  return { git, paths: [targetPath(appName, source?.path, writeBack.gitConfig?.writeBackTarget, note)] };
}

/** `base:target`, `:target` or `base`. */
function splitBranch(branch: string | undefined): [string | undefined, string | undefined] {
  if (!branch) return [undefined, undefined];
  const colon = branch.indexOf(':');
  if (colon === -1) return [branch, undefined];
  return [branch.slice(0, colon) || undefined, branch.slice(colon + 1) || undefined];
}

/** The file or folder tagpilot edits, relative to the repository root. */
function targetPath(appName: string, sourcePath: string | undefined, target: string | undefined, note: (message: string) => void): string {
  const base = normalise(sourcePath ?? '.');
  if (!target) {
    note(`write-back-target unset: Argo CD Image Updater writes .argocd-source-${appName}.yaml; tagpilot edits the image fields of the manifests under ${base} instead (update: auto)`);
    return base;
  }
  const [kind, ...rest] = target.split(':');
  const path = rest.join(':');
  if (kind === 'kustomization') return path ? resolve(base, path, note) : base;
  if (kind === 'helmvalues') {
    if (path) return resolve(base, path, note);
    note('write-back-target helmvalues names no values file; tagpilot edits the values files under the source path');
    return base;
  }
  note(`write-back-target "${target}" is unknown; tagpilot edits the manifests under ${base}`);
  return base;
}

function resolve(base: string, path: string, note: (message: string) => void): string {
  const joined = path.startsWith('/') ? normalise(path) : normalise(posix.join(base, path));
  if (joined === '..' || joined.startsWith('../')) {
    note(`write-back target ${path} leaves the repository; using the repository root`);
    return '.';
  }
  return joined;
}

function normalise(path: string): string {
  const normal = posix.normalize(path.replace(/^\/+/, '')).replace(/\/+$/, '');
  return normal === '' ? '.' : normal;
}
