// Moving over, end to end with real peers: a realistic Flux bootstrap and an Argo CD Application with
// every Image Updater annotation are imported, pass `tagpilot check`, and `tagpilot reconcile`
// against a real registry and git server makes the commit the original tool documents: Flux's
// markers each set by their own namespace's policy, with the messageTemplate's wording; Argo's
// helmvalues write-back with its default commit message.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../src/cli.js';
import { startGitServer, type TestGitServer } from './helpers/git-server.js';
import { startRegistry, type TestRegistry } from './helpers/registry-server.js';
import { startSshGitServer } from './helpers/ssh-git-server.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t), env: { TAGPILOT_LOG_LEVEL: 'silent', ...env } });
  return { code, out, err };
}

describe('import, check and reconcile against real peers', () => {
  let registry: TestRegistry;
  let gitServer: TestGitServer;
  let dir: string;

  before(async () => {
    [registry, gitServer, dir] = await Promise.all([
      startRegistry(),
      startGitServer({ username: 'bot', password: 'git-token' }),
      makeTempDir('import-e2e'),
    ]);
  });
  after(async () => {
    await Promise.all([registry?.stop(), gitServer?.stop()]);
    if (dir) await removeTempDir(dir);
  });

  /**
   * Imports `objects`, adds what only the test knows (the insecure registry, a state folder, and
   * through `local` where the mounted secrets are here), checks and reconciles.
   */
  async function importAndReconcile(source: 'flux' | 'argocd', name: string, objects: string, env: NodeJS.ProcessEnv, local: (config: string) => string = (c) => c) {
    const objectsPath = join(dir, `${name}-objects.yaml`);
    await writeFile(objectsPath, objects);
    const imported = await cli(['import', source, objectsPath], env);
    assert.equal(imported.code, 0, imported.err);
    const configPath = join(dir, `${name}.yaml`);
    await writeFile(configPath, `${local(imported.out)}registries:\n  - host: ${registry.host}\n    insecure: true\nstateDir: ${join(dir, `${name}-state`)}\n`);
    const check = await cli(['check', '--config', configPath], env);
    assert.equal(check.code, 0, `${check.err}\n${imported.out}`);
    const reconcile = await cli(['reconcile', '--config', configPath], env);
    assert.equal(reconcile.code, 0, `${reconcile.out}${reconcile.err}`);
    return { imported, reconcile };
  }

  it('a Flux bootstrap (HTTPS GitRepository, Receiver, (?P<ts>) filter, Masterminds range, two namespaces sharing a policy name)', async () => {
    for (const tag of ['5.9.0', '6.0.0', '6.5.0', '7.0.0', '6.6.0-rc.1']) await registry.pushImage('acme/podinfo', tag);
    for (const tag of ['main-abc1234-100', 'main-def5678-200', 'main-0f0f0f0-99', 'dev-aaaaaaa-999']) await registry.pushImage('acme/app', tag);
    for (const tag of ['1.2.0', '1.2.3', '1.3.0']) await registry.pushImage('acme/app-b', tag);
    const apps = (podinfo: string, app: string, appB: string) => `# Deployed by Flux; kept by image automation.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ${registry.host}/acme/podinfo:${podinfo} # {"$imagepolicy": "flux-system:podinfo"}
        - name: app
          image: ${registry.host}/acme/app:${app} # {"$imagepolicy": "flux-system:app"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-b
  namespace: team-b
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${registry.host}/acme/app-b:${appB} # {"$imagepolicy": "team-b:app"}
`;
    const repoUrl = await gitServer.createRepo('fleet', { 'clusters/production/apps.yaml': apps('6.0.0', 'main-abc1234-100', '1.2.0') });
    const objects = `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: { name: flux-system, namespace: flux-system }
spec:
  interval: 1m0s
  ref: { branch: main }
  secretRef: { name: flux-system }
  url: ${repoUrl}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: { name: podinfo, namespace: flux-system }
spec: { image: ${registry.host}/acme/podinfo, interval: 5m0s }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: { name: podinfo, namespace: flux-system }
spec:
  imageRepositoryRef: { name: podinfo }
  policy: { semver: { range: ">=6.0.0, <7.0.0" } }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: { name: app, namespace: flux-system }
spec: { image: ${registry.host}/acme/app, interval: 1m0s }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: { name: app, namespace: flux-system }
spec:
  imageRepositoryRef: { name: app }
  filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts' }
  policy: { numerical: { order: asc } }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: { name: app, namespace: team-b }
spec: { image: ${registry.host}/acme/app-b, interval: 1m0s }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: { name: app, namespace: team-b }
spec:
  imageRepositoryRef: { name: app }
  policy: { semver: { range: "~1.2" } }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: { name: flux-system, namespace: flux-system }
spec:
  interval: 30m0s
  sourceRef: { kind: GitRepository, name: flux-system }
  git:
    checkout: { ref: { branch: main } }
    commit:
      author: { email: fluxcdbot@users.noreply.github.com, name: fluxcdbot }
      messageTemplate: |
        Automated image update

        Automation name: {{ .AutomationObject }}

        {{ range .Changed.Changes -}}
        - {{ .OldValue }} -> {{ .NewValue }}
        {{ end -}}
    push: { branch: main }
  update: { path: ./clusters/production, strategy: Setters }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: { name: team-b, namespace: team-b }
spec:
  interval: 30m0s
  sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system }
  git:
    commit: { author: { email: team-b@example.com, name: team-b } }
    push: { branch: main }
  update: { path: ./clusters/production, strategy: Setters }
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: { name: ghcr-podinfo, namespace: flux-system }
spec:
  type: github
  events: [ping, package]
  secretRef: { name: webhook-token }
  resources:
    - { kind: ImageRepository, name: podinfo }
`;
    const env = { FLUX_SYSTEM_USERNAME: 'bot', FLUX_SYSTEM_PASSWORD: 'git-token', WEBHOOK_TOKEN_TOKEN: 'hook-secret' };
    const { imported, reconcile } = await importAndReconcile('flux', 'flux', objects, env);
    assert.match(imported.out, /name: ghcr-podinfo\n {4}type: github/, 'the Receiver became a webhook');
    assert.doesNotMatch(imported.err, /renamed/);
    assert.match(reconcile.out, /flux-system: pushed [0-9a-f]{12} to main: Automated image update/);
    assert.match(reconcile.out, /team-b: pushed [0-9a-f]{12} to main: Update /);

    // Each marker took its own namespace's pick: ">=6.0.0, <7.0.0" → 6.5.0 (not the rc, not 7.0.0);
    // the (?P<ts>) extract ranked numerically → 200; team-b's "app" (~1.2) → 1.2.3.
    assert.equal(await gitServer.readFile('fleet', 'main', 'clusters/production/apps.yaml'), apps('6.5.0', 'main-def5678-200', '1.2.3'));
    const [teamB, fluxSystem] = await gitServer.log('fleet', 'main');
    assert.equal(fluxSystem!.subject, 'Automated image update');
    assert.equal(fluxSystem!.authorName, 'fluxcdbot');
    assert.match(fluxSystem!.body, /^Automation name: flux-system\/flux-system\n\n- 6\.0\.0 -> 6\.5\.0\n- main-abc1234-100 -> main-def5678-200\n/);
    assert.equal(teamB!.authorName, 'team-b');
    assert.match(teamB!.body, /- team-b:app: \S+\/acme\/app-b 1\.2\.0 -> 1\.2\.3/);
  });

  it('a Flux bootstrap over SSH (the deploy key and known_hosts of Secret flux-system), against a real sshd', async () => {
    const sshd = await startSshGitServer(gitServer.root);
    try {
      for (const tag of ['2.0.0', '2.1.0', '3.0.0']) await registry.pushImage('acme/ssh-app', tag);
      const file = (tag: string) => `image: ${registry.host}/acme/ssh-app:${tag} # {"$imagepolicy": "flux-system:ssh-app"}\n`;
      await gitServer.createRepo('fleet-ssh', { 'clusters/production/app.yaml': file('2.0.0') });
      const objects = `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: { name: flux-system, namespace: flux-system }
spec:
  interval: 1m0s
  ref: { branch: main }
  secretRef: { name: flux-system }
  url: ${sshd.url('fleet-ssh')}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: { name: ssh-app, namespace: flux-system }
spec: { image: ${registry.host}/acme/ssh-app, interval: 5m0s }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: { name: ssh-app, namespace: flux-system }
spec:
  imageRepositoryRef: { name: ssh-app }
  policy: { semver: { range: ">=2.0.0, <3.0.0" } }
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: { name: flux-system, namespace: flux-system }
spec:
  sourceRef: { kind: GitRepository, name: flux-system }
  git:
    commit: { author: { email: fluxcdbot@users.noreply.github.com, name: fluxcdbot } }
    push: { branch: main }
  update: { path: ./clusters/production, strategy: Setters }
`;
      // The Secret flux bootstrap makes, mounted where the import says: identity and known_hosts.
      const secrets = join(dir, 'flux-system-secret');
      await mkdir(secrets, { recursive: true });
      await copyFile(sshd.clientKeyFile, join(secrets, 'identity'));
      await copyFile(sshd.knownHostsFile, join(secrets, 'known_hosts'));
      const { imported, reconcile } = await importAndReconcile('flux', 'flux-ssh', objects, {}, (config) => config.replaceAll('/secrets/flux-system/', `${secrets}/`));
      assert.match(imported.out, /sshKeyFile: \/secrets\/flux-system\/identity/);
      assert.match(imported.out, /knownHostsFile: \/secrets\/flux-system\/known_hosts/);
      assert.match(reconcile.out, /flux-system: pushed [0-9a-f]{12} to main: Update /);
      assert.equal(await gitServer.readFile('fleet-ssh', 'main', 'clusters/production/app.yaml'), file('2.1.0'));
      assert.ok((await sshd.commands()).some((c) => c.startsWith('git-receive-pack')), 'the push went over SSH');
    } finally {
      await sshd.stop();
    }
  });

  it('an Argo CD Application with every Image Updater annotation (helmvalues git write-back)', async () => {
    const r = registry.host;
    for (const tag of ['1.2.0', '1.2.5', '1.2.7', '1.2.9', '1.3.0', '1.2.8-debug']) await registry.pushImage('shop/api', tag);
    for (const tag of ['20240101-abc1234', '20240315-def5678', '20240201-0a0a0a0', 'latest']) await registry.pushImage('shop/web', tag);
    const worker = await registry.pushImage('shop/worker', 'latest');
    await registry.pushImage('shop/worker', 'v1');
    for (const tag of ['2024.01.1', '2024.02.1']) await registry.pushImage('shop/docs', tag);
    for (const tag of ['b-100', 'b-200']) await registry.pushImage('shop/cron', tag);
    for (const tag of ['2023-12-31', '2024-06-30']) await registry.pushImage('shop/old', tag);
    const values = (v: Record<string, string>) => `# Helm values of the shop chart; Argo CD renders them.
api:
  image:
    repository: ${r}/shop/api
    tag: ${v.api}
web:
  image:
    repository: ${r}/shop/web
    tag: "${v.web}"
worker:
  image:
    repository: ${r}/shop/worker
    tag: latest
    digest: ${v.worker}
docs:
  image: { repository: ${r}/shop/docs, tag: ${v.docs} }
cron:
  image:
    repository: ${r}/shop/cron
    tag: ${v.cron}
old:
  image:
    repository: ${r}/shop/old
    tag: "${v.old}"
`;
    const before = { api: '1.2.0', web: '20240101-abc1234', worker: 'sha256:0000000000000000000000000000000000000000000000000000000000000000', docs: '2024.01.1', cron: 'b-100', old: '2023-12-31' };
    const repoUrl = await gitServer.createRepo('shop', { 'apps/shop/values.yaml': values(before), 'apps/shop/Chart.yaml': 'name: shop\nversion: 1.0.0\n' });
    const a = 'argocd-image-updater.argoproj.io';
    const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
  annotations:
    ${a}/image-list: api=${r}/shop/api:~1.2, web=${r}/shop/web, worker=${r}/shop/worker:latest, docs=${r}/shop/docs, cron=${r}/shop/cron, old=${r}/shop/old
    ${a}/update-strategy: semver
    ${a}/api.update-strategy: semver
    ${a}/api.allow-tags: regexp:^v?[0-9]+\\.[0-9]+\\.[0-9]+$
    ${a}/api.ignore-tags: 1.2.9, *-debug
    ${a}/api.helm.image-name: api.image.repository
    ${a}/api.helm.image-tag: api.image.tag
    ${a}/web.update-strategy: alphabetical
    ${a}/web.allow-tags: regexp:^(?P<date>[0-9]{8})-[a-f0-9]+$
    ${a}/web.kustomize.image-name: ${r}/shop/web
    ${a}/worker.update-strategy: digest
    ${a}/docs.update-strategy: newest-build
    ${a}/docs.platforms: linux/amd64,linux/arm64
    ${a}/docs.pull-secret: pullsecret:argocd/regcred
    ${a}/cron.update-strategy: latest
    ${a}/old.update-strategy: name
    ${a}/write-back-method: git:secret:argocd/git-creds
    ${a}/git-branch: main:image-updates
    ${a}/write-back-target: helmvalues:values.yaml
spec:
  project: default
  source:
    repoURL: ${repoUrl}
    targetRevision: main
    path: apps/shop
  destination: { server: https://kubernetes.default.svc, namespace: shop }
`;
    const env = { GIT_CREDS_USERNAME: 'bot', GIT_CREDS_PASSWORD: 'git-token' };
    const { imported, reconcile } = await importAndReconcile('argocd', 'argocd', application, env);
    const notes = imported.err;
    for (const expected of [/newest-build orders tags by image build date/, /"latest" is the old name of newest-build/, /"name" is the old name of alphabetical/, /platforms linux\/amd64, linux\/arm64/, /pull-secret pullsecret:argocd\/regcred/]) {
      assert.match(notes, expected);
    }
    assert.match(reconcile.out, /shop: pushed [0-9a-f]{12} to image-updates: build: automatic update of shop/);

    // What Argo CD Image Updater picks for each: ~1.2 minus 1.2.9 and -debug → 1.2.7; the greatest
    // dated tag; latest's current digest; the newest builds (pushed in tag order); lexically greatest.
    const after = { api: '1.2.7', web: '20240315-def5678', worker: worker.digest, docs: '2024.02.1', cron: 'b-200', old: '2024-06-30' };
    assert.equal(await gitServer.readFile('shop', 'image-updates', 'apps/shop/values.yaml'), values(after));
    assert.equal(await gitServer.readFile('shop', 'main', 'apps/shop/values.yaml'), values(before), 'the base branch is untouched');
    const [commit] = await gitServer.log('shop', 'image-updates');
    assert.equal(commit!.subject, 'build: automatic update of shop');
    assert.match(commit!.body, new RegExp(`^updates image ${r}/shop/api tag '1\\.2\\.0' to '1\\.2\\.7'\n`));
    assert.match(commit!.body, new RegExp(`updates image ${r}/shop/worker tag '${before.worker}' to '${worker.digest}'`));
  });
});
