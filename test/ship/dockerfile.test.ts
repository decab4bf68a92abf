import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { builtDist } from '../helpers/built-dist.js';

/** One instruction: keyword, flags (`--from=build`), arguments (exec form unpacked), source line. */
interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string[];
  raw: string;
  line: number;
}

interface Stage {
  name: string | undefined;
  instructions: Instruction[];
}

/** Dockerfile → stages; enough of the grammar for this file: comments, `\` continuations, exec form. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i]!;
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.endsWith('\\') && i + 1 < lines.length) logical = `${logical.slice(0, -1)} ${lines[++i]!.trim()}`;
    const [, keyword = '', rest = ''] = /^\s*(\S+)\s*(.*)$/.exec(logical) ?? [];
    const flags: Record<string, string> = {};
    let body = rest;
    for (let flag = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(body); flag; flag = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(body)) {
      flags[flag[1]!] = flag[2] ?? '';
      body = body.slice(flag[0].length);
    }
    const args = body.trim().startsWith('[') ? (JSON.parse(body) as string[]) : body.trim().split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), flags, args, raw: body, line: start + 1 };
    if (instruction.keyword === 'FROM') {
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ name: as === -1 ? undefined : args[as + 1], instructions: [instruction] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    } else {
      assert.equal(instruction.keyword, 'ARG', `line ${instruction.line}: only ARG may come before FROM`);
    }
  }
  return stages;
}

/** .dockerignore semantics (moby/patternmatcher): the last pattern matching the path or a parent decides. */
function dockerIgnored(patterns: string[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = posix.normalize(raw.slice(negated ? 1 : 0).replace(/^\/+/, '')).replace(/\/+$/, '');
    const source = pattern
      .split(/(\*\*|\*|\?)/)
      .map((piece) => (piece === '**' ? '.*' : piece === '*' ? '[^/]*' : piece === '?' ? '[^/]' : piece.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    const re = new RegExp(`^${source}$`);
    if (candidates.some((c) => re.test(c))) ignored = !negated;
  }
  return ignored;
}

const dockerfile = readFileSync('Dockerfile', 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages[stages.length - 1]!;
const ignorePatterns = readFileSync('.dockerignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
const stageNamed = (name: string) => stages.find((s) => s.name === name);

/** The runtime stage's view of the image: COPY destinations, ENV, WORKDIR. */
const workdir = last(runtime, 'WORKDIR')!.args[0]!;
const env = Object.fromEntries(
  all(runtime, 'ENV').flatMap((i) => i.args.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string])),
);
const entrypoint = last(runtime, 'ENTRYPOINT')!;
const bakedConfig = all(runtime, 'COPY').find((c) => !c.flags.from && c.args.at(-1)!.startsWith('/config'));

describe('Dockerfile', () => {
  it('is multi-stage, and the runtime stage never installs dev dependencies', () => {
    assert.ok(stages.length >= 2, 'expected a build stage and a runtime stage');
    for (const run of all(runtime, 'RUN')) assert.doesNotMatch(run.raw, /npm (ci|install)/, `line ${run.line}: npm in the runtime stage`);
    const modules = all(runtime, 'COPY').find((c) => c.args.at(-1)!.replace(/\/$/, '').endsWith('node_modules'));
    assert.ok(modules?.flags.from, 'node_modules comes from another stage');
    const deps = stageNamed(modules.flags.from!);
    assert.ok(deps, `stage ${modules.flags.from} exists`);
    assert.ok(
      all(deps, 'RUN').some((r) => /npm ci\b.*--omit=dev/.test(r.raw)),
      `stage ${modules.flags.from} installs production dependencies only (npm ci --omit=dev)`,
    );
  });

  it('gives every npm ci that runs scripts the patches/ its prepare script applies', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.prepare ?? '', /patch-package/, 'package.json applies patches/ on install');
    for (const stage of stages) {
      const install = stage.instructions.findIndex((i) => i.keyword === 'RUN' && /npm ci\b/.test(i.raw) && !/--ignore-scripts/.test(i.raw));
      if (install < 0) continue;
      const patches = stage.instructions.findIndex((i) => i.keyword === 'COPY' && !i.flags.from && i.args.slice(0, -1).some((a) => a.replace(/\/$/, '') === 'patches'));
      assert.ok(patches >= 0 && patches < install, `stage ${stage.name}: COPY patches before npm ci, or it installs an unpatched isomorphic-git`);
    }
  });

  it('copies only files that exist and that .dockerignore lets into the context', () => {
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !c.flags.from)) {
        for (const source of copy.args.slice(0, -1)) {
          assert.ok(existsSync(source), `line ${copy.line}: COPY ${source}: no such file in the repository`);
          assert.ok(!dockerIgnored(ignorePatterns, source.replace(/\/$/, '')), `line ${copy.line}: ${source} is excluded by .dockerignore`);
          if (source === 'src') assert.ok(!dockerIgnored(ignorePatterns, 'src/main.ts'), 'src/main.ts reaches the context');
        }
      }
    }
  });

  it('copies from other stages only what they produce: the bundle npm run build writes and npm pack ships', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; files: string[] };
    const scripts = pkg.scripts;
    const outDir = /const OUT_DIR = '([^']+)'/.exec(readFileSync('scripts/build.mjs', 'utf8'))?.[1];
    assert.ok(outDir, 'scripts/build.mjs names its OUT_DIR');
    assert.ok(pkg.files.includes(outDir), `package.json files ships ${outDir}`);
    assert.match(scripts.prepack ?? '', /npm run build\b/, 'npm pack builds first');
    for (const copy of all(runtime, 'COPY').filter((c) => c.flags.from)) {
      const stage = stageNamed(copy.flags.from!);
      assert.ok(stage, `line ${copy.line}: no stage ${copy.flags.from}`);
      const stageDir = last(stage, 'WORKDIR')!.args[0]!;
      for (const source of copy.args.slice(0, -1)) {
        const relative = posix.relative(stageDir, source);
        if (relative === 'node_modules') continue; // checked above: npm ci in that stage
        assert.equal(relative, outDir, `line ${copy.line}: ${source} is not what the build writes`);
        assert.ok(all(stage, 'RUN').some((r) => /npm run build\b/.test(r.raw)), `stage ${stage.name} runs npm run build`);
        assert.match(scripts.build!, /scripts\/build\.mjs/);
      }
    }
  });

  it('starts the compiled entry point: dist/main.js from src/main.ts, the package bin, as `serve`', () => {
    assert.ok(entrypoint.raw.trim().startsWith('['), 'ENTRYPOINT in exec form, so signals reach node (SIGTERM drains)');
    assert.equal(entrypoint.args[0], 'node');
    const main = posix.relative(workdir, entrypoint.args[1]!);
    assert.equal(main, 'dist/main.js');
    assert.ok(existsSync('src/main.ts'), 'dist/main.js is compiled from src/main.ts');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>; type: string };
    assert.equal(pkg.bin.tagpilot, main);
    assert.equal(pkg.type, 'module');
    assert.ok(all(runtime, 'COPY').some((c) => !c.flags.from && c.args[0] === 'package.json'), 'package.json (type: module) is in the image');
    assert.deepEqual(last(runtime, 'CMD')!.args, ['serve']);
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK on /healthz at the served port', async () => {
    const user = last(runtime, 'USER')!.args[0]!;
    assert.match(user, /^[1-9]\d*(:\d+)?$/, 'numeric, so Kubernetes runAsNonRoot can verify it');
    const healthcheck = last(runtime, 'HEALTHCHECK');
    assert.ok(healthcheck, 'HEALTHCHECK present');
    const url = /http:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(healthcheck.raw);
    assert.ok(url, 'HEALTHCHECK requests /healthz');
    const { config } = await loadConfig(bakedConfig!.args[0]!, {});
    assert.equal(Number(url[1]), config.server.port);
    assert.ok(all(runtime, 'EXPOSE').some((e) => e.args.includes(String(config.server.port))));
  });

  it('bakes a config that serves outside the container and keeps state on the volume', async () => {
    assert.ok(bakedConfig, 'a config is copied to /config');
    assert.equal(env.TAGPILOT_CONFIG, dirname(bakedConfig.args.at(-1)!), 'TAGPILOT_CONFIG is the folder, so a mounted folder replaces it');
    const { config } = await loadConfig(bakedConfig.args[0]!, {});
    assert.equal(config.server.host, '0.0.0.0');
    const volume = last(runtime, 'VOLUME')!.args[0]!;
    assert.equal(config.stateDir, volume);
    const user = last(runtime, 'USER')!.args[0]!;
    assert.ok(
      all(runtime, 'RUN').some((r) => r.raw.includes(`chown ${user}`) && r.raw.includes(volume)),
      `the volume ${volume} belongs to ${user}`,
    );
  });
});

describe('.dockerignore', () => {
  for (const path of ['node_modules/yaml/package.json', '.git/HEAD', 'test/ship/dockerfile.test.ts', 'dist/main.js', '.tagpilot/x', 'config/tagpilot.yaml']) {
    it(`keeps ${path} out of the build context`, () => assert.ok(dockerIgnored(ignorePatterns, path)));
  }
});

describe('the entry point from a production install', () => {
  // The image's /app, rebuilt here: the bundle, package.json, and only the packages npm ci
  // --omit=dev would install, so an import of a package the bundle should hold (isomorphic-git,
  // zod) or of a dev tool fails here first.
  const app = mkdtempSync(join(tmpdir(), 'tagpilot-image-'));
  after(() => rmSync(app, { recursive: true, force: true }));

  it('runs `check` on the baked config and prints usage', async () => {
    cpSync(await builtDist(), join(app, 'dist'), { recursive: true });
    assert.ok(existsSync(join(app, 'dist/main.js')), 'npm run build wrote no dist/main.js');
    cpSync('package.json', join(app, 'package.json'));
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    for (const [key, entry] of Object.entries(lock.packages)) {
      const top = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
      if (!top || entry.dev) continue;
      mkdirSync(dirname(join(app, key)), { recursive: true });
      if (existsSync(key)) symlinkSync(resolve(key), join(app, key), 'dir');
    }
    const run = (args: string[]) =>
      spawnSync(process.execPath, [join(app, 'dist/main.js'), ...args], {
        cwd: app,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_ENV: 'production', TAGPILOT_CONFIG: resolve(bakedConfig!.args[0]!) },
      });
    const check = run(['check']);
    assert.equal(check.status, 0, `tagpilot check failed:\n${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /valid/);
    const help = run(['help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /serve/);
  });
});
