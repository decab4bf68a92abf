import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Config } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import { importFlux } from '../../src/import/flux.js';
import { readManifestFiles } from '../../src/import/read-manifest-files.js';
import { compilePolicy } from '../../src/policy/policy.js';
import { configFromText } from './config-from-text.js';

const EXAMPLES = 'examples/flux';
const exampleFiles = readdirSync(EXAMPLES)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => ({ path: join(EXAMPLES, name), text: readFileSync(join(EXAMPLES, name), 'utf8') }));

/** What a converted config picks from `tags` for `policy`: the image's exclude list first, as a scan does. */
function pickOf(config: Config, policyName: string, tags: string[]): string | null {
  const policy = config.policies.find((p) => p.name === policyName);
  assert.ok(policy, `no policy ${policyName} in ${config.policies.map((p) => p.name).join(', ')}`);
  const image = config.images.find((i) => i.name === policy.image)!;
  const excluded = image.exclude.map((source) => new RegExp(source));
  const scanned = tags.filter((tag) => !excluded.some((re) => re.test(tag)));
  return compilePolicy(policy).evaluate(scanned).pick?.tag ?? null;
}

function repository(name: string, image: string, extra = ''): string {
  return `---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: { name: ${name}, namespace: flux-system }
spec:
  image: ${image}
  interval: 5m0s
${extra}`;
}

function policy(name: string, repo: string, spec: string): string {
  return `---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: ${name}, namespace: flux-system }
spec:
  imageRepositoryRef: { name: ${repo} }
${spec}`;
}

describe('importFlux: the example fleet (examples/flux)', () => {
  const result = importFlux(exampleFiles);
  const env = { FLUX_SYSTEM_USERNAME: 'git', FLUX_SYSTEM_PASSWORD: 'token' };

  it('prints a config that tagpilot check accepts', async () => {
    assert.equal(result.found, 8);
    const { config } = await configFromText(result.yaml, env);
    assert.deepEqual(
      config.images.map((i) => [i.name, i.repository, i.interval]),
      [
        ['podinfo', 'ghcr.io/stefanprodan/podinfo', 300_000],
        ['shop', 'registry.gitlab.example.com/acme/shop', 60_000],
        ['minio', 'quay.io/minio/minio', 3_600_000],
      ],
    );
    assert.deepEqual(config.images[1]!.exclude, ['^.*\\.sig$', '^cache-.*']);
    assert.deepEqual(config.policies.map((p) => p.name), ['podinfo', 'shop-main', 'shop-rc', 'minio']);
    // Kept as Flux users wrote them: tagpilot reads Masterminds ranges and Go's (?P<name>…).
    assert.equal(config.policies[0]!.semver, '>=6.0.0, <7.0.0');
    assert.deepEqual(config.policies[1]!.filter, { pattern: '^main-[a-fA-F0-9]+-(?P<ts>.*)', extract: '$ts' });
    assert.equal(config.policies[2]!.semver, '^1.x-0');
    assert.equal(config.policies[2]!.digest, true);
    assert.deepEqual(config.registries, [
      { host: 'registry.gitlab.example.com', insecure: false, concurrency: 4, auth: { dockerConfig: '/secrets/gitlab-registry/.dockerconfigjson' } },
    ]);
  });

  it('keeps the automation: url, branch, author, path, interval, every policy, the converted message template', async () => {
    const { config } = await configFromText(result.yaml, env);
    const [automation] = config.automations;
    assert.ok(automation);
    assert.equal(automation.name, 'flux-system');
    assert.equal(automation.git.url, 'https://gitlab.example.com/platform/fleet.git');
    assert.equal(automation.git.branch, 'main');
    assert.equal(automation.git.pushBranch, undefined);
    assert.deepEqual(automation.git.author, { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' });
    assert.ok(automation.git.auth && 'username' in automation.git.auth);
    assert.equal(automation.git.auth.username, 'git');
    assert.equal(automation.git.auth.password, 'token');
    assert.deepEqual(automation.paths, ['clusters/production']);
    assert.equal(automation.interval, 1_800_000);
    assert.equal(automation.policies, undefined, 'one namespace: every policy, as Flux does');
    assert.equal(automation.commitMessage, 'Automated image update\n\n{{#each changes}}{{from}} -> {{to}}\n{{/each}}\n');
  });

  it('warns about what it could not carry over, and names the file and line', () => {
    const text = result.warnings.join('\n');
    assert.match(text, /image-update-automation\.yaml:3: ImageUpdateAutomation flux-system\/flux-system: .*messageTemplate/);
    assert.match(text, /Secret gitlab-registry|mount that Secret at \/secrets\/gitlab-registry/);
    assert.ok(result.yaml.includes('# - '), 'warnings are repeated as comments in the output');
  });
});

describe('importFlux: converted policies pick what Flux picks', () => {
  // Each pick is what image-reflector-controller selects for these tags (Masterminds semver, Go
  // regexp, sort order per its docs), worked out by hand; the exclusion list applies first.
  const cases: Array<{ label: string; yaml: string; tags: string[]; flux: string }> = [
    {
      label: 'semver with a Masterminds comma range, v-prefixed tags and a prerelease kept out',
      yaml: repository('app', 'ghcr.io/acme/app') + policy('app', 'app', `  policy:\n    semver:\n      range: ">=6.0.0, <7.0.0"\n`),
      tags: ['5.2.1', '6.0.0', '6.0.4', '6.9.9', '6.10.0', 'v6.10.1', '6.11.0-rc.1', '7.0.0', 'latest', 'sha256-ab12.sig'],
      flux: 'v6.10.1',
    },
    {
      label: 'semver alternatives joined by || with commas inside',
      yaml: repository('app', 'ghcr.io/acme/app') + policy('app', 'app', `  policy:\n    semver:\n      range: ">=1.0.0, <1.2.0 || >=2.0.0, <2.1.0"\n`),
      tags: ['1.1.5', '1.2.0', '2.0.3', '2.1.0'],
      flux: '2.0.3',
    },
    {
      label: 'semver tilde on a partial version',
      yaml: repository('app', 'ghcr.io/acme/app') + policy('app', 'app', `  policy:\n    semver:\n      range: "~1.2"\n`),
      tags: ['1.1.9', '1.2.0', '1.2.9', '1.3.0'],
      flux: '1.2.9',
    },
    {
      label: "prereleases through a filter and Masterminds' ^1.x-0",
      yaml:
        repository('app', 'ghcr.io/acme/app') +
        policy('app', 'app', `  filterTags:\n    pattern: '.*-rc.*'\n  policy:\n    semver:\n      range: '^1.x-0'\n`),
      tags: ['1.0.0', '1.1.0-rc.1', '1.2.0-rc.1', '1.2.0-rc.2', '1.3.0', '2.0.0-rc.1'],
      flux: '1.2.0-rc.2',
    },
    {
      label: 'alphabetical on a timestamp extracted with a (?P<name>) group (the Flux guide example)',
      yaml:
        repository('app', 'ghcr.io/acme/app') +
        policy('app', 'app', `  filterTags:\n    pattern: '^main-[a-fA-F0-9]+-(?P<ts>.*)'\n    extract: '$ts'\n  policy:\n    alphabetical:\n      order: asc\n`),
      tags: ['main-a1b2c3-1700000100', 'main-d4e5f6-1700000200', 'main-0f0f0f-1699999999', 'main-zzz-1900000000', 'feature-x-1800000000'],
      flux: 'main-d4e5f6-1700000200',
    },
    {
      label: 'alphabetical on minio RELEASE timestamps',
      yaml:
        repository('minio', 'quay.io/minio/minio') +
        policy('minio', 'minio', `  filterTags:\n    pattern: '^RELEASE\\.(?P<timestamp>.*)Z$'\n    extract: '$timestamp'\n  policy:\n    alphabetical: {}\n`),
      tags: ['RELEASE.2023-01-02T00-00-00Z', 'RELEASE.2023-11-20T22-40-07Z', 'RELEASE.2023-09-04T19-57-37Z', 'latest'],
      flux: 'RELEASE.2023-11-20T22-40-07Z',
    },
    {
      label: 'alphabetical desc picks the least',
      yaml: repository('app', 'ghcr.io/acme/app') + policy('app', 'app', `  policy:\n    alphabetical:\n      order: desc\n`),
      tags: ['2024-01-03', '2024-01-01', '2024-01-02'],
      flux: '2024-01-01',
    },
    {
      label: 'numerical on an extracted build number (alphabetical would say build-99)',
      yaml:
        repository('app', 'ghcr.io/acme/app') +
        policy('app', 'app', `  filterTags:\n    pattern: '^build-(?P<n>\\d+)$'\n    extract: '$n'\n  policy:\n    numerical:\n      order: asc\n`),
      tags: ['build-9', 'build-10', 'build-100', 'build-99', 'build-x'],
      flux: 'build-100',
    },
    {
      label: 'numerical desc picks the least',
      yaml: repository('app', 'ghcr.io/acme/app') + policy('app', 'app', `  policy:\n    numerical:\n      order: desc\n`),
      tags: ['3', '10', '1', '20'],
      flux: '1',
    },
    {
      label: "an exclusionList replaces the default and drops a tag before the policy sees it",
      yaml:
        repository('app', 'ghcr.io/acme/app', `  exclusionList:\n    - "^.*\\\\.sig$"\n    - "^1\\\\.0\\\\.2$"\n`) +
        policy('app', 'app', `  policy:\n    semver:\n      range: ">=1.0.0"\n`),
      tags: ['1.0.0', '1.0.1', '1.0.2', 'sha256-ab12.sig'],
      flux: '1.0.1',
    },
  ];

  for (const { label, yaml, tags, flux } of cases) {
    it(label, async () => {
      const result = importFlux([{ path: 'case.yaml', text: yaml }]);
      const { config } = await configFromText(result.yaml);
      assert.equal(pickOf(config, config.policies[0]!.name, tags), flux, result.yaml);
    });
  }
});

describe('importFlux: objects that need care', () => {
  it('qualifies image names two namespaces share, keeps policy names with their namespace, and an automation takes only its own namespace', async () => {
    const text = ['apps', 'staging']
      .map(
        (ns) => `---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: { name: podinfo, namespace: ${ns} }
spec: { image: ghcr.io/stefanprodan/podinfo, interval: 1m }
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: { name: podinfo, namespace: ${ns} }
spec:
  imageRepositoryRef: { name: podinfo }
  policy: { semver: { range: 6.x } }
`,
      )
      .join('')
      .concat(`---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: { name: staging, namespace: staging }
spec:
  interval: 10m
  sourceRef: { kind: GitRepository, name: fleet, namespace: flux-system }
  git:
    commit: { author: { email: bot@example.com } }
    push: { branch: main }
`);
    const result = importFlux([{ path: 'tenants.yaml', text }]);
    const { config } = await configFromText(result.yaml, { FLEET_USERNAME: 'u', FLEET_PASSWORD: 'p' });
    assert.deepEqual(config.images.map((i) => i.name), ['apps.podinfo', 'staging.podinfo']);
    // Policies keep their names, each in its namespace, so markers "apps:podinfo" and "staging:podinfo" work unchanged.
    assert.deepEqual(config.policies.map((p) => [p.namespace, p.name, p.image]), [
      ['apps', 'podinfo', 'apps.podinfo'],
      ['staging', 'podinfo', 'staging.podinfo'],
    ]);
    assert.deepEqual(config.automations[0]!.policies, ['staging:podinfo']);
    assert.deepEqual(config.automations[0]!.git.author, { name: 'bot', email: 'bot@example.com' });
    assert.match(config.automations[0]!.git.url, /REPLACE-ME/);
    const warnings = result.warnings.join('\n');
    assert.doesNotMatch(warnings, /renamed/);
    assert.match(warnings, /GitRepository flux-system\/fleet is not among the files/);
  });

  it('reads `kubectl get -o yaml` lists, policySelector labels and GitLab merge request push options', async () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata: { name: fleet, namespace: flux-system }
    spec: { url: "https://github.com/acme/fleet.git", ref: { branch: main }, secretRef: { name: github-deploy } }
  - apiVersion: image.toolkit.fluxcd.io/v1beta2
    kind: ImageRepository
    metadata: { name: app, namespace: flux-system }
    spec: { image: "ghcr.io/acme/app:1.0.0", interval: 90s }
  - apiVersion: image.toolkit.fluxcd.io/v1beta2
    kind: ImagePolicy
    metadata: { name: app-prod, namespace: flux-system, labels: { env: prod } }
    spec: { imageRepositoryRef: { name: app }, policy: { semver: { range: ">=1.0.0" } } }
  - apiVersion: image.toolkit.fluxcd.io/v1beta2
    kind: ImagePolicy
    metadata: { name: app-dev, namespace: flux-system, labels: { env: dev } }
    spec: { imageRepositoryRef: { name: app }, policy: { numerical: { order: asc } } }
  - apiVersion: image.toolkit.fluxcd.io/v1beta2
    kind: ImageUpdateAutomation
    metadata: { name: prod, namespace: flux-system }
    spec:
      interval: 1h0m0s
      sourceRef: { kind: GitRepository, name: fleet }
      policySelector: { matchLabels: { env: prod } }
      git:
        commit: { author: { name: bot, email: bot@example.com }, signingKey: { secretRef: { name: gpg } } }
        push: { branch: image-updates, options: { merge_request.create: "", merge_request.target: main } }
      update: { path: ./clusters/prod/, strategy: Setters }
`;
    const result = importFlux([{ path: 'list.yaml', text }]);
    const { config } = await configFromText(result.yaml, { GITHUB_DEPLOY_USERNAME: 'x-access-token', GITHUB_DEPLOY_PASSWORD: 'p', GITLAB_API_TOKEN: 't' });
    assert.equal(config.images[0]!.repository, 'ghcr.io/acme/app');
    assert.equal(config.images[0]!.interval, 90_000);
    const automation = config.automations[0]!;
    assert.equal(automation.git.url, 'https://github.com/acme/fleet.git');
    assert.equal(automation.git.pushBranch, 'image-updates');
    assert.equal(automation.git.signingKeyFile, '/secrets/gpg/git.asc');
    assert.deepEqual(automation.pullRequest, { provider: 'gitlab', tokenEnv: 'GITLAB_API_TOKEN' });
    assert.deepEqual(automation.policies, ['flux-system:app-prod']);
    assert.deepEqual(automation.paths, ['clusters/prod']);
    assert.equal(automation.interval, 3_600_000);
    assert.match(result.warnings.join('\n'), /names a tag or digest/);
  });

  // The SSH auth keys (SPEC §1) land in the schema on another branch; here the output is read, not checked.
  for (const url of ['ssh://git@gitlab.example.com/platform/fleet.git', 'ssh://git@gitlab.example.com:2222/platform/fleet.git', 'git@github.com:acme/fleet.git']) {
    it(`maps an SSH GitRepository (${url}) to SSH auth from its Secret's identity and known_hosts`, () => {
      const text = `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: { name: flux-system, namespace: flux-system }
spec: { url: "${url}", ref: { branch: main }, secretRef: { name: flux-system } }
${repository('app', 'ghcr.io/acme/app')}${policy('app', 'app', `  policy:\n    semver:\n      range: ">=1.0.0"\n`)}---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: { name: flux-system, namespace: flux-system }
spec:
  sourceRef: { kind: GitRepository, name: flux-system }
  git: { commit: { author: { email: bot@example.com } } }
`;
      const result = importFlux([{ path: 'ssh.yaml', text }]);
      const git = (parse(result.yaml) as { automations: Array<{ git: Record<string, unknown> }> }).automations[0]!.git;
      assert.equal(git.url, url, 'the SSH URL is kept as written');
      assert.deepEqual(git.auth, { sshKeyFile: '/secrets/flux-system/identity', knownHostsFile: '/secrets/flux-system/known_hosts' });
      assert.match(result.warnings.join('\n'), /git\.auth uses SSH: mount Secret flux-system at \/secrets\/flux-system/);
    });
  }

  it('turns a Receiver for a converted image into a webhook', async () => {
    const text =
      repository('app', 'docker.io/acme/app') +
      `---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: { name: dockerhub-app, namespace: flux-system }
spec:
  type: dockerhub
  secretRef: { name: webhook-token }
  resources: [{ kind: ImageRepository, name: app }]
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: { name: github-push, namespace: flux-system }
spec:
  type: github
  secretRef: { name: webhook-token }
  resources: [{ kind: GitRepository, name: flux-system }]
`;
    const result = importFlux([{ path: 'receivers.yaml', text }]);
    const { config } = await configFromText(result.yaml, { WEBHOOK_TOKEN_TOKEN: 's3cret' });
    assert.deepEqual(
      config.webhooks.map((w) => [w.name, w.type, w.secretEnv, w.secret]),
      [['dockerhub-app', 'dockerhub', 'WEBHOOK_TOKEN_TOKEN', 's3cret']],
    );
    assert.match(result.warnings.join('\n'), /POST \/hooks\/dockerhub-app/);
  });

  it('skips what it cannot convert faithfully, says why, and still converts the rest', async () => {
    const text =
      repository('app', 'ghcr.io/acme/app') +
      policy('case-insensitive', 'app', `  filterTags:\n    pattern: '^main-(?i)rc'\n  policy:\n    alphabetical: {}\n`) +
      policy('dangling', 'nowhere', `  policy:\n    alphabetical: {}\n`) +
      `---
apiVersion: image.toolkit.fluxcd.io/v1alpha1
kind: ImagePolicy
metadata: { name: ancient }
spec: { imageRepository: { name: app } }
---
this: [is not yaml
`;
    const result = importFlux([{ path: 'mixed.yaml', text }]);
    const { config } = await configFromText(result.yaml);
    assert.deepEqual(config.images.map((i) => i.name), ['app']);
    assert.deepEqual(config.policies, []);
    const warnings = result.warnings.join('\n');
    assert.match(warnings, /case-insensitive: skipped: spec\.filterTags\.pattern: .*inline flags/);
    assert.match(warnings, /dangling: skipped: its ImageRepository nowhere is not among the files/);
    assert.match(warnings, /ancient: skipped: apiVersion image\.toolkit\.fluxcd\.io\/v1alpha1 is not supported/);
    assert.match(warnings, /mixed\.yaml:\d+: skipped a document that is not valid YAML/);
  });

  it('says so when the files hold no Flux image objects', () => {
    const result = importFlux([{ path: 'deployment.yaml', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\n' }]);
    assert.deepEqual(result.warnings, ['no ImageRepository, ImagePolicy or ImageUpdateAutomation found in the files given']);
    assert.equal(result.found, 0);
    assert.deepEqual(parse(result.yaml), { images: [], policies: [], automations: [] });
  });
});

describe('readManifestFiles (what `tagpilot import flux FILE…` reads)', () => {
  it('walks folders for *.yaml and *.yml in name order, and reads - from standard input', () => {
    const files = readManifestFiles(['examples/flux', '-'], () => 'kind: List\nitems: []\n');
    assert.deepEqual(
      files.map((f) => f.path),
      [...exampleFiles.map((f) => f.path), '(stdin)'],
    );
    assert.equal(files[0]!.text, exampleFiles[0]!.text);
  });

  it('names a path that does not exist, and asks for files when given none', () => {
    assert.throws(() => readManifestFiles(['no/such/dir']), (err) => err instanceof InputError && /no\/such\/dir: ENOENT/.test(err.message));
    assert.throws(() => readManifestFiles([]), InputError);
  });
});
