// `tagpilot import argocd`: Argo CD Image Updater's annotations and ImageUpdater resources. Cases
// named by source, from argoproj-labs/argocd-image-updater: docs/configuration/migration.md (its
// before/after examples), docs/basics/update-strategies.md and update-methods.md,
// pkg/argocd/annotations_test.go, registry-scanner/pkg/image/options_test.go (ParseMatch) and
// version_test.go (Test_LatestVersion, Test_VersionConstraint_IsTagIgnored).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../../src/config/schema.js';
import { readAnnotations } from '../../src/import/argocd-annotations.js';
import { globToRegexp } from '../../src/import/argocd-image.js';
import { importArgocd } from '../../src/import/argocd.js';
import { excludeTags } from '../../src/registry/exclude-tags.js';
import { compilePolicy } from '../../src/policy/policy.js';
import { configFromText } from './config-from-text.js';

const P = 'argocd-image-updater.argoproj.io/';

function application(name: string, annotations: Record<string, string>, source = 'repoURL: https://git.example.com/fleet.git, targetRevision: main, path: apps/prod'): string {
  const lines = Object.entries(annotations).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`);
  return `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
  annotations:
${lines.join('\n')}
spec:
  source: { ${source} }
`;
}

/** What a converted policy picks from `tags`, its image's exclude list applied first, as a scan does. */
function pickOf(config: Config, policyName: string, tags: string[]): string | null {
  const policy = config.policies.find((p) => p.name === policyName)!;
  const image = config.images.find((i) => i.name === policy.image)!;
  return compilePolicy(policy).evaluate(excludeTags(tags, image.exclude).tags).pick?.tag ?? null;
}

const ENV = { ARGOCD_REPO_CREDS_USERNAME: 'u', ARGOCD_REPO_CREDS_PASSWORD: 'p', GIT_CREDS_USERNAME: 'u', GIT_CREDS_PASSWORD: 'p' };

describe('readAnnotations (pkg/argocd/annotations.go)', () => {
  it('splits image-list on commas, with and without aliases, and reads per-alias settings and targets', () => {
    const request = readAnnotations({
      [`${P}image-list`]: 'nginx=nginx:1.20, redis=redis:6.2 ,quay.io/dexidp/dex',
      [`${P}update-strategy`]: 'semver',
      [`${P}nginx.allow-tags`]: 'regexp:^[0-9]+\\.[0-9]+$',
      [`${P}nginx.ignore-tags`]: 'latest, dev',
      [`${P}redis.update-strategy`]: 'latest',
      [`${P}redis.platforms`]: 'linux/amd64,linux/arm64',
      [`${P}nginx.helm.image-name`]: 'nginx.image.repository',
      [`${P}nginx.helm.image-tag`]: 'nginx.image.tag',
      [`${P}redis.kustomize.image-name`]: 'docker.io/library/redis',
      [`${P}write-back-method`]: '  git  ',
      [`${P}git-branch`]: 'main:feature-branch',
      [`${P}write-back-target`]: 'kustomization:./overlays/prod',
      [`${P}nginxx.allow-tags`]: 'any',
      'other.example.com/x': 'ignored',
    });
    assert.ok(request);
    assert.deepEqual(request.images, [
      {
        alias: 'nginx',
        imageName: 'nginx:1.20',
        commonUpdateSettings: { allowTags: 'regexp:^[0-9]+\\.[0-9]+$', ignoreTags: ['latest', 'dev'] },
        manifestTargets: { helm: { name: 'nginx.image.repository', tag: 'nginx.image.tag' } },
      },
      {
        alias: 'redis',
        imageName: 'redis:6.2',
        commonUpdateSettings: { updateStrategy: 'latest', platforms: ['linux/amd64', 'linux/arm64'] },
        manifestTargets: { kustomize: { name: 'docker.io/library/redis' } },
      },
      { alias: '', imageName: 'quay.io/dexidp/dex' },
    ]);
    assert.deepEqual(request.settings, { updateStrategy: 'semver' });
    assert.deepEqual(request.writeBack, { method: 'git', gitConfig: { branch: 'main:feature-branch', writeBackTarget: 'kustomization:./overlays/prod' } });
    assert.deepEqual(request.unread, [`${P}nginxx.allow-tags`]);
  });

  it('an Application without image-list asks for nothing', () => {
    assert.equal(readAnnotations({ [`${P}write-back-method`]: 'git' }), null);
  });
});

describe('globToRegexp (ignore-tags are Go filepath.Match globs)', () => {
  // Test_VersionConstraint_IsTagIgnored, plus classes and escapes from filepath.Match's grammar.
  const cases: Array<[glob: string, tag: string, ignored: boolean]> = [
    ['tag1', 'tag1', true],
    ['tag2', 'tag3', false],
    ['tag?', 'tag1', true],
    ['tag?', 'tag10', false],
    ['foo', 'foo', true],
    ['*-debug', '1.2.8-debug', true],
    ['*-debug', '1.2.8', false],
    ['v1.[0-4].*', 'v1.3.0', true],
    ['v1.[^0-4].*', 'v1.3.0', false],
    ['1.2.9', '1.2.99', false],
    ['a\\*', 'a*', true],
  ];
  for (const [glob, tag, ignored] of cases) {
    it(`${glob} ${ignored ? 'ignores' : 'keeps'} ${tag}`, () => assert.equal(new RegExp(globToRegexp(glob)).test(tag), ignored));
  }
});

describe('importArgocd: strategies pick what Argo CD Image Updater picks', () => {
  const cases: Array<{ source: string; annotations: Record<string, string>; tags: string[]; pick: string | null }> = [
    { source: 'Test_LatestVersion: no constraint', annotations: { 'image-list': 'test=jannfis/test' }, tags: ['0.1', '0.5.1', '0.9', '1.0', '1.0.1', '1.1.2', '2.0.3'], pick: '2.0.3' },
    { source: 'Test_LatestVersion: ^1.0', annotations: { 'image-list': 'test=jannfis/test:^1.0' }, tags: ['0.1', '0.5.1', '0.9', '1.0', '1.0.1', '1.1.2', '2.0.3'], pick: '1.1.2' },
    { source: 'Test_LatestVersion: ~1.0', annotations: { 'image-list': 'test=jannfis/test:~1.0' }, tags: ['0.1', '0.5.1', '0.9', '1.0', '1.0.1', '1.1.2', '2.0.3'], pick: '1.0.1' },
    { source: 'Test_LatestVersion: no constraint excludes prereleases', annotations: { 'image-list': 'c=xpkg.crossplane.io/crossplane/crossplane' }, tags: ['v2.2.0', 'v2.3.0-rc.0.18.g1abb7b5dd-ppc64le'], pick: 'v2.2.0' },
    { source: 'Test_LatestVersion: constraint with no match', annotations: { 'image-list': 'test=jannfis/test:~1.0' }, tags: ['0.1', '0.5.1', '0.9', '2.0.3'], pick: null },
    { source: 'Test_LatestVersion: alphabetical', annotations: { 'image-list': 'test=jannfis/test:bb', 'test.update-strategy': 'alphabetical' }, tags: ['zz', 'bb', 'yy', 'cc', 'yy', 'aa', 'll'], pick: 'zz' },
    { source: 'update-strategies.md: name is the old alphabetical', annotations: { 'image-list': 'test=jannfis/test', 'test.update-strategy': 'name' }, tags: ['2024-01-02', '2024-03-01', '2023-12-31'], pick: '2024-03-01' },
    { source: 'update-strategies.md: 1.2.x', annotations: { 'image-list': 'x=some/image:1.2.x' }, tags: ['1.2.5', '1.2.12', '1.3.0'], pick: '1.2.12' },
    { source: 'update-strategies.md: 2.x-0 admits prereleases', annotations: { 'image-list': 'x=some/image:2.x-0' }, tags: ['2.0.0-rc1', '1.9.0', '3.0.0'], pick: '2.0.0-rc1' },
    {
      source: 'update-strategies.md: newest-build with allow-tags regexp (git sha tags)',
      annotations: { 'image-list': 'x=some/image', 'x.update-strategy': 'newest-build', 'x.allow-tags': 'regexp:^[0-9a-f]{7}$' },
      tags: ['a5fb3d3', 'f7bb2e3', 'latest', 'master'],
      pick: 'f7bb2e3',
    },
    { source: 'update-strategies.md: ignore-tags', annotations: { 'image-list': 'x=some/image', 'x.update-strategy': 'alphabetical', 'x.ignore-tags': 'latest, master' }, tags: ['latest', 'master', 'f7bb2e3'], pick: 'f7bb2e3' },
    { source: 'update-strategies.md: digest follows one tag', annotations: { 'image-list': 'x=some/image:latest', 'x.update-strategy': 'digest' }, tags: ['latest', 'v1.0.0', 'latest-2'], pick: 'latest' },
    { source: 'options_test.go: RegExp: prefix is case-insensitive; allow-tags any', annotations: { 'image-list': 'x=foo/bar', 'x.update-strategy': 'alphabetical', 'x.allow-tags': 'RegExp:^v' }, tags: ['v1', 'w2'], pick: 'v1' },
  ];
  for (const c of cases) {
    it(c.source, async () => {
      const annotations = Object.fromEntries(Object.entries(c.annotations).map(([k, v]) => [`${P}${k}`, v]));
      const result = importArgocd([{ path: 'app.yaml', text: application('app', { ...annotations, [`${P}write-back-method`]: 'git' }) }]);
      const { config } = await configFromText(result.yaml, ENV);
      assert.equal(pickOf(config, config.policies[0]!.name, c.tags), c.pick, result.yaml);
    });
  }

  it('digest pins the followed tag to its digest', async () => {
    const result = importArgocd([{ path: 'app.yaml', text: application('app', { [`${P}image-list`]: 'x=some/image:latest', [`${P}x.update-strategy`]: 'digest' }) }]);
    const { config } = await configFromText(result.yaml, ENV);
    assert.equal(config.policies[0]!.digest, true);
  });

  it('an allow-tags Argo matches nothing with is reported and the image skipped (options_test.go "other", "not-regexp:")', () => {
    const text = application('app', { [`${P}image-list`]: 'a=foo/a,b=foo/b', [`${P}a.allow-tags`]: 'other', [`${P}b.allow-tags`]: 'not-regexp:a-z', [`${P}write-back-method`]: 'git' });
    const result = importArgocd([{ path: 'app.yaml', text }]);
    assert.equal(result.found, 1);
    assert.match(result.warnings.join('\n'), /image a: skipped: allow-tags "other" is neither regexp:<pattern> nor any/);
    assert.match(result.warnings.join('\n'), /no automation written/);
  });
});

describe('importArgocd: write-back (update-methods.md)', () => {
  const cases: Array<{ label: string; annotations: Record<string, string>; source?: string; git: Record<string, unknown>; paths: string[]; note?: RegExp }> = [
    {
      label: 'argocd method (the default) has no equivalent and is said so',
      annotations: {},
      git: { url: 'https://git.example.com/fleet.git', branch: 'main' },
      paths: ['apps/prod'],
      note: /write-back-method argocd sets parameter overrides.*tagpilot always commits to Git/,
    },
    {
      label: 'git:secret:<ns>/<name> credentials, base:target branch, kustomization relative path',
      annotations: { 'write-back-method': 'git:secret:argocd/git-creds', 'git-branch': 'main:image-updates', 'write-back-target': 'kustomization:../../base' },
      git: { url: 'https://git.example.com/fleet.git', branch: 'main', pushBranch: 'image-updates', auth: { username: 'u', passwordEnv: 'GIT_CREDS_PASSWORD', password: 'p' } },
      paths: ['base'],
    },
    {
      label: ':target keeps targetRevision as the base; helmvalues absolute path',
      annotations: { 'write-back-method': 'git', 'git-branch': ':image-updates', 'write-back-target': 'helmvalues:/helm/config/test-values.yaml' },
      git: { url: 'https://git.example.com/fleet.git', branch: 'main', pushBranch: 'image-updates' },
      paths: ['helm/config/test-values.yaml'],
    },
    {
      label: 'git-repository overrides repoURL; targetRevision HEAD means the default branch',
      annotations: { 'write-back-method': 'git', 'git-repository': 'https://git.example.com/other.git' },
      source: 'repoURL: https://git.example.com/fleet.git, targetRevision: HEAD, path: apps/prod',
      git: { url: 'https://git.example.com/other.git', branch: 'main' },
      paths: ['apps/prod'],
      note: /no branch \(targetRevision HEAD\): using main/,
    },
    {
      label: 'a templated target branch becomes a fixed one, said so',
      annotations: { 'write-back-method': 'git', 'git-branch': 'main:image-updater{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}' },
      git: { url: 'https://git.example.com/fleet.git', branch: 'main', pushBranch: 'image-updater-app' },
      paths: ['apps/prod'],
      note: /is a Go template; tagpilot pushes to the fixed branch image-updater-app/,
    },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const annotations = { [`${P}image-list`]: 'x=some/image:1.x', ...Object.fromEntries(Object.entries(c.annotations).map(([k, v]) => [`${P}${k}`, v])) };
      const result = importArgocd([{ path: 'app.yaml', text: application('app', annotations, c.source) }]);
      const { config } = await configFromText(result.yaml, ENV);
      const automation = config.automations[0]!;
      for (const [key, value] of Object.entries(c.git)) assert.deepEqual((automation.git as Record<string, unknown>)[key], value, key);
      assert.deepEqual(automation.paths, c.paths);
      assert.equal(automation.update, 'auto');
      if (c.note) assert.match(result.warnings.join('\n'), c.note);
    });
  }

  it('an SSH repository maps to SSH auth from the credentials Secret (output read, not checked: the SSH schema lands on another branch)', () => {
    const text = application('app', { [`${P}image-list`]: 'x=some/image', [`${P}write-back-method`]: 'git:secret:git-creds' }, 'repoURL: git@github.com:myorg/myrepo.git, targetRevision: main, path: apps');
    const result = importArgocd([{ path: 'app.yaml', text }]);
    assert.match(result.yaml, /url: git@github\.com:myorg\/myrepo\.git/);
    assert.match(result.yaml, /sshKeyFile: \/secrets\/git-creds\/sshPrivateKey/);
    assert.match(result.yaml, /knownHostsFile: \/secrets\/argocd-ssh-known-hosts-cm\/ssh_known_hosts/);
  });
});

describe('importArgocd: ImageUpdater resources (migration.md "After (CRD-based)")', () => {
  const updater = `---
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: multi-app-image-updater
  namespace: argocd
spec:
  writeBackConfig:
    method: "git"
    gitConfig:
      repository: "https://github.com/myorg/myrepo.git"
      branch: "main"
      writeBackTarget: "helmvalues:./values.yaml"
  applicationRefs:
    - namePattern: "production-app"
      images:
        - alias: "nginx"
          imageName: "nginx:1.20"
          commonUpdateSettings:
            allowTags: "regexp:^[0-9]+\\\\.[0-9]+\\\\.[0-9]+$"
            ignoreTags: ["latest", "dev"]
        - alias: "redis"
          imageName: "redis:6.2"
          commonUpdateSettings:
            updateStrategy: "newest-build"
            pullSecret: "secret:my-namespace/redis-secret#username"
    - namePattern: "staging-*"
      writeBackConfig:
        method: "git"
        gitConfig:
          branch: "develop"
      images:
        - alias: "nginx"
          imageName: "nginx"
          commonUpdateSettings:
            updateStrategy: "newest-build"
`;
  const apps = ['production-app', 'staging-app', 'staging-api', 'other']
    .map((name) => `---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: ${name}, namespace: argocd }
spec:
  source: { repoURL: "https://github.com/myorg/myrepo.git", targetRevision: main, path: apps/${name} }
`)
    .join('');

  it('selects Applications by namePattern glob and merges CR-wide and per-ref write-back settings', async () => {
    const result = importArgocd([{ path: 'updater.yaml', text: updater + apps }]);
    assert.equal(result.found, 3);
    const { config } = await configFromText(result.yaml, ENV);
    assert.deepEqual(config.automations.map((a) => [a.name, a.git.branch, a.paths, a.policies]), [
      ['production-app', 'main', ['apps/production-app/values.yaml'], ['production-app-nginx', 'production-app-redis']],
      ['staging-app', 'develop', ['apps/staging-app/values.yaml'], ['staging-app-nginx']],
      ['staging-api', 'develop', ['apps/staging-api/values.yaml'], ['staging-api-nginx']],
    ]);
    assert.deepEqual(config.images[0]!.exclude, ['\\.sig$', '\\.att$', '\\.sbom$', '^latest$', '^dev$']);
    assert.equal(config.policies[0]!.semver, '1.20');
    assert.equal(pickOf(config, 'production-app-nginx', ['1.20.1', '1.20.3', '1.21.0', 'latest']), '1.20.3');
    assert.equal(config.automations[0]!.commitMessage, "build: automatic update of production-app\n\n{{#each changes}}updates image {{repository}} tag '{{from}}' to '{{to}}'\n{{/each}}");
    const notes = result.warnings.join('\n');
    assert.match(notes, /image redis: update-strategy newest-build orders tags by image build date/);
    assert.match(notes, /image redis: pull-secret secret:my-namespace\/redis-secret#username/);
  });

  it('a ref that matches no Application among the files gets a placeholder repository', async () => {
    const result = importArgocd([{ path: 'updater.yaml', text: updater }]);
    assert.match(result.warnings.join('\n'), /namePattern "staging-\*" matches no Application/);
    const { config } = await configFromText(result.yaml, ENV);
    assert.equal(config.automations[0]!.git.url, 'https://github.com/myorg/myrepo.git', 'the CR names the repository');
  });
});
