// ImageUpdateAutomation (with its GitRepository) → automations[].
import type { FluxGitRepository, FluxImagePolicy, FluxImageUpdateAutomation } from './flux-objects.js';
import { SECRETS_DIR, envName, sameNamespace, resolveRef, type AutomationInput, type Typed, type Warn } from './flux-context.js';
import { commitTemplateProblem } from '../git/commit-template.js';
import { policyId } from '../update/policy-id.js';
import { convertGoCommitTemplate } from './go-commit-template.js';
import { fromGoDuration } from './go-duration.js';
import { httpsGitUrl } from './https-git-url.js';
import type { KubernetesObject } from './kubernetes-objects.js';
import { matchesSelector } from './label-selector.js';

/** The automation entry; what has no equivalent is warned about, placeholders fill what is required. */
export function convertAutomation(
  { object, spec, name }: Typed<FluxImageUpdateAutomation>,
  gitRepositories: ReadonlyArray<Typed<FluxGitRepository>>,
  policies: ReadonlyArray<Typed<FluxImagePolicy>>,
  warn: Warn,
): AutomationInput {
  const namespace = object.metadata.namespace;
  const source = spec.sourceRef;
  if (source.kind && source.kind !== 'GitRepository') warn(object, `spec.sourceRef.kind ${source.kind}: only GitRepository is supported`);
  const gitRepository = resolveRef(gitRepositories, source.name, source.namespace ?? namespace);
  const git: AutomationInput['git'] = { url: gitUrl(object, source, gitRepository, warn) };

  const checkout = spec.git?.checkout?.ref;
  if (checkout && !checkout.branch) warn(object, 'spec.git.checkout.ref names no branch; tagpilot checks out branches only');
  const branch = checkout?.branch ?? gitRepository?.spec.ref?.branch;
  if (branch) git.branch = branch;
  else warn(object, 'no branch in spec.git.checkout.ref or the GitRepository; using main');
  const push = spec.git?.push;
  if (push?.branch && push.branch !== (branch ?? 'main')) git.pushBranch = push.branch;
  if (push?.refspec) warn(object, `spec.git.push.refspec ${push.refspec} is not supported; use pushBranch`);

  const secret = gitRepository?.spec.secretRef?.name;
  if (isSshUrl(git.url)) {
    // Flux's SSH Secret holds `identity` and `known_hosts`; mounted as files, they are what SPEC §1's SSH auth reads.
    const dir = `${SECRETS_DIR}/${secret ?? source.name}`;
    // SPEC §1's SSH keys; the cast goes once the schema has them (added on a parallel branch).
    git.auth = { sshKeyFile: `${dir}/identity`, knownHostsFile: `${dir}/known_hosts` };
    warn(
      object,
      `git.auth uses SSH: mount ${secret ? `Secret ${secret}` : 'a Secret with identity and known_hosts'} at ${dir}` +
        ' (a passphrase in its "password" key: set sshKeyPassphraseEnv)',
    );
  } else {
    const credentials = { username: envName(secret ?? source.name, 'USERNAME'), password: envName(secret ?? source.name, 'PASSWORD') };
    git.auth = { username: `\${${credentials.username}}`, passwordEnv: credentials.password };
    warn(
      object,
      `git.auth reads ${credentials.username} and ${credentials.password} from the environment` +
        (secret ? ` (the username and password of Secret ${secret})` : ': set them to a user and a token that may push'),
    );
  }

  const commit = spec.git?.commit;
  if (commit?.author) git.author = { name: commit.author.name || commit.author.email.split('@')[0]!, email: commit.author.email };
  if (commit?.signingKey?.secretRef) {
    const key = commit.signingKey.secretRef.name;
    if ((commit.signingKey.type ?? 'gpg') === 'gpg') {
      git.signingKeyFile = `${SECRETS_DIR}/${key}/git.asc`;
      warn(object, `spec.git.commit.signingKey: mount Secret ${key} at ${SECRETS_DIR}/${key} (its git.asc, and passphrase if any, are read there)`);
    } else warn(object, `spec.git.commit.signingKey type ${commit.signingKey.type} is not supported; commits will not be signed`);
  }
  const automation: AutomationInput = { name, git };
  if (commit?.messageTemplate) {
    const context = { name: object.metadata.name, namespace, values: commit.messageTemplateValues ?? {} };
    const converted = convertGoCommitTemplate(commit.messageTemplate, context);
    const problem = 'problem' in converted ? converted.problem : commitTemplateProblem(converted.template);
    if ('template' in converted && problem === null) {
      automation.commitMessage = converted.template;
      for (const note of converted.notes) warn(object, `spec.git.commit.messageTemplate converted to commitMessage: ${note}`);
    } else {
      warn(object, `spec.git.commit.messageTemplate not converted (${problem}); tagpilot writes its default message`);
    }
  }
  if (spec.update?.strategy && spec.update.strategy !== 'Setters') {
    warn(object, `spec.update.strategy ${spec.update.strategy} is not supported; converted as markers (Setters)`);
  }
  const path = normalisePath(spec.update?.path);
  if (path !== '.') automation.paths = [path];

  // Flux applies the ImagePolicies of the automation's namespace that its policySelector selects;
  // tagpilot's default is every policy, so the list is written only when that differs.
  const selected = policies.filter(
    (p) => sameNamespace(p.object.metadata.namespace, namespace) && matchesSelector(spec.policySelector, p.object.metadata.labels),
  );
  if (selected.length === 0) warn(object, 'selects no converted ImagePolicy, so it would change nothing');
  if (selected.length < policies.length || selected.length === 0) {
    automation.policies = selected.map((p) => policyId({ name: p.name, namespace: p.object.metadata.namespace }));
  }

  if (spec.interval !== undefined) {
    const interval = fromGoDuration(spec.interval);
    if (interval === null) warn(object, `spec.interval "${spec.interval}" is not a duration; using tagpilot's default 10m`);
    else automation.interval = interval;
  }
  // GitLab opens a merge request for push options; tagpilot does that through the API.
  if (push?.options && ('merge_request.create' in push.options || 'merge_request.target' in push.options)) {
    automation.pullRequest = { provider: 'gitlab', tokenEnv: 'GITLAB_API_TOKEN' };
    warn(object, 'spec.git.push.options open a GitLab merge request; converted to pullRequest (set GITLAB_API_TOKEN)');
    if (!git.pushBranch) warn(object, 'pullRequest needs a pushBranch different from the branch; set git.pushBranch');
  } else if (push?.options) warn(object, 'spec.git.push.options are not supported');
  if (spec.suspend) warn(object, 'is suspended in Flux; tagpilot will run it');
  return automation;
}

function isSshUrl(url: string): boolean {
  return !/^https?:\/\//i.test(url);
}

/** The URL to push to: the GitRepository's, as written (https or SSH), or a placeholder. */
function gitUrl(
  object: KubernetesObject,
  source: FluxImageUpdateAutomation['sourceRef'],
  gitRepository: Typed<FluxGitRepository> | undefined,
  warn: Warn,
): string {
  if (!gitRepository) {
    const url = placeholderUrl(source.name);
    warn(object, `GitRepository ${source.namespace ? `${source.namespace}/` : ''}${source.name} is not among the files; set git.url (placeholder ${url})`);
    return url;
  }
  const { spec } = gitRepository;
  if (spec.provider && spec.provider !== 'generic') {
    warn(object, `GitRepository ${source.name} spec.provider ${spec.provider}: use a token in git.auth instead`);
  }
  const converted = httpsGitUrl(spec.url);
  if (!converted) {
    const url = placeholderUrl(source.name);
    warn(object, `GitRepository ${source.name} url "${spec.url}" is not a URL tagpilot can push to; set git.url (placeholder ${url})`);
    return url;
  }
  // SSH URLs (ssh://git@host[:port]/path, git@host:path) are kept: SPEC §1 pushes over SSH as Flux does.
  return spec.url;
}


/** `./clusters/prod/` → `clusters/prod`; the repository root is `.`. */
function normalisePath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  return trimmed === '' || trimmed === '.' ? '.' : trimmed;
}

function placeholderUrl(name: string): string {
  return `https://git.example.com/REPLACE-ME/${name}.git`;
}
