import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';

const DEPLOY = 'deploy';
const REDIS = 'deploy/components/redis';

// Just the fields these checks read.
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface Volume {
  name: string;
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: Array<{ port: number; targetPort?: string | number }>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }; containers: Container[]; volumes?: Volume[] };
    };
  };
}
interface Kustomization {
  kind?: string;
  resources?: string[];
  configMapGenerator?: Array<{ name: string; behavior?: string; files: string[] }>;
  secretGenerator?: Array<{ name: string; literals?: string[]; envs?: string[]; files?: string[] }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const readYaml = <T>(path: string): T => parse(readFileSync(path, 'utf8')) as T;
const readObjects = (path: string): K8sObject[] =>
  parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);

/** `key=path` or `path` → [key, path] */
const generatorFile = (entry: string): [string, string] => {
  const eq = entry.indexOf('=');
  return eq === -1 ? [basename(entry), entry] : [entry.slice(0, eq), entry.slice(eq + 1)];
};

/** The kustomization rendered without kustomize: its resources plus the ConfigMaps it generates. */
function renderStatically(dir: string): K8sObject[] {
  const k = readYaml<Kustomization>(join(dir, 'kustomization.yaml'));
  const objects = (k.resources ?? []).flatMap((r) => readObjects(join(dir, r)));
  for (const generator of k.configMapGenerator ?? []) {
    const data = Object.fromEntries(generator.files.map((f) => generatorFile(f)).map(([key, path]) => [key, readFileSync(join(dir, path), 'utf8')]));
    objects.push({ kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  return objects;
}

/** `kubectl kustomize` output, or null where kubectl is not installed. */
function renderWithKubectl(dir: string): K8sObject[] | null {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  assert.equal(result.status, 0, `kubectl kustomize ${dir}:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
}

/** Secret names and keys a person is told to create: README's `kubectl create secret generic` and any secretGenerator. */
function declaredSecretKeys(): Set<string> {
  const declared = new Set<string>();
  const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
  for (const command of readme.matchAll(/create secret generic (\S+)((?:\s*\\?\s*--from-literal=[A-Za-z0-9_.-]+=[^\n\\]*)+)/g)) {
    for (const literal of command[2]!.matchAll(/--from-literal=([A-Za-z0-9_.-]+)=/g)) declared.add(`${command[1]}/${literal[1]}`);
  }
  for (const generator of readYaml<Kustomization>(join(DEPLOY, 'kustomization.yaml')).secretGenerator ?? []) {
    for (const literal of generator.literals ?? []) declared.add(`${generator.name}/${literal.split('=')[0]}`);
  }
  return declared;
}

const scratch = mkdtempSync(join(tmpdir(), 'tagpilot-deploy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let scratchCount = 0;

/**
 * Everything that must line up across the rendered objects; returns the config the pod would load.
 * `stateVolume` says what backs stateDir: the PersistentVolumeClaim, or a per-pod emptyDir.
 */
async function assertConsistent(objects: K8sObject[], stateVolume: 'pvc' | 'emptyDir'): Promise<Config> {
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.spec?.template?.spec.containers.some((c) => c.name === 'tagpilot'));
  assert.ok(deployment, 'a Deployment runs the tagpilot container');
  const pod = deployment.spec!.template!;
  const container = pod.spec.containers.find((c) => c.name === 'tagpilot')!;
  const mountAt = (path: string) => {
    const mount = container.volumeMounts?.find((m) => m.mountPath === path);
    return mount && pod.spec.volumes?.find((v) => v.name === mount.name);
  };

  // The config: --config or TAGPILOT_CONFIG, a ConfigMap mounted there (as the folder or its file).
  const args = container.args ?? [];
  const flag = args.indexOf('--config');
  const configPath = flag >= 0 ? args[flag + 1]! : container.env?.find((e) => e.name === 'TAGPILOT_CONFIG')?.value;
  assert.ok(configPath, 'the container gives --config or TAGPILOT_CONFIG');
  assert.equal(args[0], 'serve');
  const folderVolume = mountAt(configPath);
  const configVolume = folderVolume ?? mountAt(dirname(configPath));
  assert.ok(configVolume?.configMap, `a ConfigMap is mounted at ${configPath} or ${dirname(configPath)}`);
  const configMap = named('ConfigMap', configVolume.configMap.name);
  assert.ok(configMap?.data, `ConfigMap ${configVolume.configMap.name} exists`);
  const dir = join(scratch, `config-${scratchCount++}`);
  mkdirSync(dir);
  let loadPath: string;
  if (folderVolume) {
    const files = Object.keys(configMap.data).filter((k) => k.endsWith('.yaml'));
    assert.ok(files.length > 0, `ConfigMap ${configMap.metadata.name} has *.yaml keys for the folder ${configPath}`);
    for (const key of files) writeFileSync(join(dir, key), configMap.data[key]!);
    loadPath = dir;
  } else {
    const key = basename(configPath);
    assert.ok(key in configMap.data, `ConfigMap ${configMap.metadata.name} has the key ${key} mounted as ${configPath}`);
    loadPath = join(dir, key);
    writeFileSync(loadPath, configMap.data[key]!);
  }

  // Environment: every secretKeyRef names a declared Secret key; together they are all the config needs.
  const declared = declaredSecretKeys();
  const env: NodeJS.ProcessEnv = {};
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (ref) {
      assert.ok(declared.has(`${ref.name}/${ref.key}`), `env ${entry.name}: Secret ${ref.name} key ${ref.key} is declared in deploy/README.md`);
      env[entry.name] = `from-${ref.name}-${ref.key}`;
    } else env[entry.name] = entry.value;
  }
  const { config } = await loadConfig(loadPath, env);

  // stateDir on the volume.
  const state = mountAt(config.stateDir);
  assert.ok(state, `a volume is mounted at stateDir ${config.stateDir}`);
  if (stateVolume === 'pvc') {
    assert.ok(state.persistentVolumeClaim, 'stateDir is on a PersistentVolumeClaim');
    assert.ok(named('PersistentVolumeClaim', state.persistentVolumeClaim.claimName), `PVC ${state.persistentVolumeClaim.claimName} exists`);
  } else assert.ok(state.emptyDir, 'stateDir is a per-pod emptyDir');

  // One port end to end: server.port = containerPort = Service port; probes on it.
  const portOf = (port: string | number | undefined) =>
    typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
  assert.equal(config.server.host, '0.0.0.0', 'probes and the Service reach the pod address, not loopback');
  assert.deepEqual(container.ports?.map((p) => p.containerPort), [config.server.port]);
  const service = objects.find(
    (o) => o.kind === 'Service' && Object.entries(o.spec?.selector ?? {}).every(([k, v]) => pod.metadata.labels[k] === v),
  );
  assert.ok(service, 'a Service selects the tagpilot pods');
  assert.deepEqual(service.spec!.ports!.map((p) => [p.port, portOf(p.targetPort ?? p.port)]), [[config.server.port, config.server.port]]);
  assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
  assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
  assert.equal(portOf(container.livenessProbe?.httpGet?.port), config.server.port);
  assert.equal(portOf(container.readinessProbe?.httpGet?.port), config.server.port);

  // Non-root, read-only root filesystem, scratch space on /tmp.
  assert.equal(pod.spec.securityContext?.runAsNonRoot, true);
  assert.ok((pod.spec.securityContext?.runAsUser ?? 0) > 0);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
  assert.ok(mountAt('/tmp')?.emptyDir, '/tmp is writable');

  // A Redis queue, when configured, is a Service in the same objects.
  if (config.queue.redisUrl) {
    const url = new URL(config.queue.redisUrl);
    const redis = named('Service', url.hostname);
    assert.ok(redis, `Service ${url.hostname} from queue.redisUrl exists`);
    assert.ok(redis.spec!.ports!.some((p) => p.port === Number(url.port || 6379)), `Service ${url.hostname} serves port ${url.port}`);
  }
  return config;
}

describe('deploy/ (Kustomize)', () => {
  it('parses, and its config, Secret keys, volumes, ports and probes line up', async () => {
    const config = await assertConsistent(renderStatically(DEPLOY), 'pvc');
    assert.equal(config.queue.redisUrl, undefined, 'the base runs the in-process queue');
  });

  it("sets the Deployment's image through kustomization images", () => {
    const k = readYaml<Kustomization>(join(DEPLOY, 'kustomization.yaml'));
    const images = renderStatically(DEPLOY).flatMap((o) => o.spec?.template?.spec.containers.map((c) => c.image) ?? []);
    assert.ok(images.includes(k.images![0]!.name), `kustomization images[0].name ${k.images![0]!.name} is the container image`);
  });

  it('runs one replica that never overlaps itself while the queue is in-process', () => {
    const deployment = readObjects(join(DEPLOY, 'deployment.yaml'))[0]!;
    assert.equal(deployment.spec!.replicas, 1);
    assert.equal((deployment.spec as { strategy?: { type: string } }).strategy?.type, 'Recreate');
  });

  it("the Redis component's queue.yaml merges with the config and points at its Service", async () => {
    const component = readYaml<Kustomization>(join(REDIS, 'kustomization.yaml'));
    assert.equal(component.kind, 'Component');
    const generator = component.configMapGenerator!.find((g) => g.name === 'tagpilot-config');
    assert.equal(generator?.behavior, 'merge', 'adds to the base ConfigMap instead of replacing it');
    const dir = join(scratch, 'redis-merge');
    mkdirSync(dir);
    const base = readYaml<Kustomization>(join(DEPLOY, 'kustomization.yaml')).configMapGenerator![0]!;
    for (const [key, path] of [...base.files.map(generatorFile).map(([k, p]) => [k, join(DEPLOY, p)]), ...generator!.files.map(generatorFile).map(([k, p]) => [k, join(REDIS, p)])]) {
      writeFileSync(join(dir, key!), readFileSync(path!, 'utf8'));
    }
    const { config } = await loadConfig(dir, { GIT_TOKEN: 'x', REGISTRY_TOKEN: 'x', WEBHOOK_SECRET: 'x', TAGPILOT_API_TOKEN: 'x' });
    const url = new URL(config.queue.redisUrl!);
    const service = readObjects(join(REDIS, 'redis.yaml')).find((o) => o.kind === 'Service' && o.metadata.name === url.hostname);
    assert.ok(service?.spec?.ports?.some((p) => p.port === Number(url.port)), `redis.yaml serves ${url.hostname}:${url.port}`);
  });

  const rendered = renderWithKubectl(DEPLOY);
  // kubectl ships with this machine kind and .ci/run installs it where missing: no skipping.
  it('renders with kubectl kustomize and still lines up', async () => {
    assert.ok(rendered, 'kubectl kustomize must be installed (.ci/run installs it)');
    const config = await assertConsistent(rendered!, 'pvc');
    const deployment = rendered!.find((o) => o.kind === 'Deployment')!;
    assert.ok(deployment.spec!.template!.spec.containers[0]!.image.includes(':'), 'the image is pinned by the kustomization');
    assert.equal(config.stateDir, '/state');
  });

  it('renders with the Redis component: two replicas, Redis queue, per-pod stateDir', async () => {
    assert.ok(rendered, 'kubectl kustomize must be installed (.ci/run installs it)');
    // An overlay outside the repository, as a user's fleet repository would have it.
    const overlay = join(scratch, 'overlay');
    mkdirSync(overlay);
    const toRepo = (path: string) => posix.join(...relative(overlay, path).split(/[\\/]/));
    writeFileSync(join(overlay, 'kustomization.yaml'), `resources:\n  - ${toRepo(DEPLOY)}\ncomponents:\n  - ${toRepo(REDIS)}\n`);
    const objects = renderWithKubectl(overlay)!;
    const config = await assertConsistent(objects, 'emptyDir');
    assert.match(config.queue.redisUrl!, /^redis:\/\/tagpilot-redis:6379$/);
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tagpilot')!;
    assert.equal(deployment.spec!.replicas, 2);
    assert.equal(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name).join(), 'tagpilot-redis-data');
  });
});
