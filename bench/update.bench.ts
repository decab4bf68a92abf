// The write step over a 5,000-file config repository with 20 marked files (the same 20 hold the
// picked images for auto mode), beside reading the same files with `fs` alone: what the YAML work
// adds on top of IO. Auto mode parses every file naming a picked repository's last segment.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applySetters } from '../src/update/apply-setters.js';
import type { ImagePick } from '../src/update/apply-setters.js';
import { isManifestPath } from '../src/update/is-manifest-path.js';
import { median } from './bench-result.js';
import type { Benchmark, BenchResult } from './bench-result.js';

const SERVICES = 100;
const FILES_PER_SERVICE = 50;
const MARKED = 20;
const RUNS = 7;

/** A Deployment of about 1.5 kB, the common case in a fleet repository. */
function manifest(service: number, file: number, marked: boolean): string {
  const name = `svc-${service}-${file}`;
  const marker = marked ? ` # {"$imagepolicy": "flux-system:${name}"}` : '';
  return `# ${name}: generated for the benchmark
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: team-${service % 10}
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${name}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: main
          image: ghcr.io/acme/${name}:1.0.${file}${marker}
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
            - name: UPSTREAM
              value: "http://svc-${(service + 1) % SERVICES}.team-${(service + 1) % 10}:8080"
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { cpu: "1", memory: 512Mi }
          readinessProbe:
            httpGet: { path: /healthz, port: 8080 }
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.30.${file % 5}
          args: ["--config-path", "/etc/envoy/envoy.yaml"]
      volumes:
        - name: config
          configMap:
            name: ${name}-envoy
`;
}

/** Writes the tree; returns every path and a pick for each marked file's image. */
function buildTree(root: string): { paths: string[]; picks: Map<string, ImagePick> } {
  const paths: string[] = [];
  const picks = new Map<string, ImagePick>();
  const step = Math.floor((SERVICES * FILES_PER_SERVICE) / MARKED);
  for (let service = 0; service < SERVICES; service++) {
    const dir = join(root, 'apps', `svc-${service}`);
    mkdirSync(dir, { recursive: true });
    for (let file = 0; file < FILES_PER_SERVICE; file++) {
      const marked = (service * FILES_PER_SERVICE + file) % step === 0;
      const path = join(dir, `deployment-${file}.yaml`);
      writeFileSync(path, manifest(service, file, marked));
      paths.push(path);
      const policy = `svc-${service}-${file}`;
      if (marked) picks.set(policy, { policy, repository: `ghcr.io/acme/${policy}`, tag: '2.0.0' });
    }
  }
  return { paths, picks };
}

function time(task: () => void): number {
  task();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    task();
    runs.push(performance.now() - start);
  }
  return median(runs);
}

export const run: Benchmark = async () => {
  const root = mkdtempSync(join(tmpdir(), 'tagpilot-bench-update-'));
  try {
    const { paths, picks } = buildTree(root);

    const readOnly = (): void => {
      for (const path of paths) readFileSync(path, 'utf8');
    };
    const update = (mode: 'markers' | 'auto') => (): number => {
      let changed = 0;
      for (const path of paths) {
        if (!isManifestPath(path)) continue;
        const result = applySetters(path, readFileSync(path, 'utf8'), picks, { mode });
        if (result.changes.length > 0) changed++;
      }
      return changed;
    };

    for (const mode of ['markers', 'auto'] as const) {
      const changed = update(mode)();
      if (changed !== MARKED) throw new Error(`expected ${MARKED} files changed in ${mode} mode, got ${changed}`);
    }

    const baseline = time(readOnly);
    const rows: BenchResult[] = [
      {
        name: `update: markers, ${paths.length} files, ${MARKED} marked`,
        unit: 'median ms',
        figure: time(update('markers')),
        baselineName: 'fs read only',
        baseline,
      },
      {
        name: `update: auto, ${paths.length} files, ${MARKED} with a picked image`,
        unit: 'median ms',
        figure: time(update('auto')),
        baselineName: 'fs read only',
        baseline,
      },
    ];
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};
