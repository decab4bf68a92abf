// The command line (SPEC §5). Standard output carries only each command's result; logs go to stderr.
import { parseArgs } from 'node:util';
import { Pipeline } from './automation/pipeline.js';
import { createStateStore } from './state/state-store.js';
import { createNotifications, NOTIFY_DRAIN_MS } from './notify/create-notifications.js';
import { formatSetterProblem } from './automation/format-setter-problem.js';
import { renderPlan } from './automation/render-plan.js';
import { renderWaitingPromotions } from './automation/render-waiting-promotions.js';
import { excludeFor, renderScanReport, scanAndPick, type ScanReport } from './automation/scan-repository.js';
import { compileAdHocPolicy } from './policy/ad-hoc-policy.js';
import { RegistryClient } from './registry/registry-client.js';
import { DEFAULT_CONFIG_PATH, loadConfig, type LoadedConfig, type LoadOptions } from './config/load-config.js';
import { configJsonSchemaText } from './config/json-schema.js';
import { ConfigError, errorMessage, InputError } from './errors.js';
import { importArgocd } from './import/argocd.js';
import { importFlux, type ImportResult } from './import/flux.js';
import type { ManifestFile } from './import/kubernetes-objects.js';
import { readManifestFiles } from './import/read-manifest-files.js';
import { createLogger, type Logger } from './log.js';
import { Service } from './serve.js';
import { acquireStateDirLock, type StateDirLock } from './state/state-dir-lock.js';
import { loadCosignPublicKey } from './verify/cosign-public-key.js';
import { CosignVerifier } from './verify/cosign-verifier.js';

const USAGE = `usage: tagpilot <command> [--config PATH]

commands:
  serve                      HTTP server, schedules and queue workers until SIGTERM
  reconcile [--automation N] one full pass: scan, pick, update, push; then exit
  plan [--automation N] [--strict]
                             the same, pushing nothing: prints a unified diff per automation
                             and the marker/file problems; --strict exits 1 on any problem
  check                      validate the config and print every error
  schema                     print the config's JSON Schema (for editors)
  import flux FILE|DIR|-...  convert Flux image automation objects to a tagpilot config
  import argocd FILE|DIR|-... convert Argo CD Image Updater ImageUpdaters and annotated Applications
  scan REPOSITORY [--semver R | --alphabetical asc|desc | --numerical asc|desc]
       [--filter RE] [--extract T] [--cosign-key PUB] [--json]
                             list tags and the pick (registry settings from --config if given)
`;

type Out = (text: string) => void;

/** Runs one command; resolves to the exit code. */
export async function runCli(
  argv: string[],
  io: { out: Out; err: Out; env: NodeJS.ProcessEnv } = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
  },
): Promise<number> {
  const [command, ...rest] = argv;
  let args;
  try {
    args = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        automation: { type: 'string' },
        semver: { type: 'string' },
        alphabetical: { type: 'string' },
        numerical: { type: 'string' },
        filter: { type: 'string' },
        extract: { type: 'string' },
        'cosign-key': { type: 'string' },
        json: { type: 'boolean' },
        strict: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (err) {
    io.err(`${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  if (!command || command === 'help' || command === '--help' || args.values.help) {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'schema') {
    io.out(configJsonSchemaText());
    return 0;
  }
  if (command === 'import') return importCommand(args.positionals, io);
  const configPath = args.values.config ?? io.env.TAGPILOT_CONFIG ?? DEFAULT_CONFIG_PATH;
  const log = createLogger(io.env.TAGPILOT_LOG_LEVEL);

  const load = (options: LoadOptions = {}): LoadedConfig | null => {
    try {
      return loadConfig(configPath, io.env, options);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.err(`${err.message}\n`);
      return null;
    }
  };

  switch (command) {
    case 'check': {
      const loaded = load({ checkFiles: true });
      if (!loaded) return 1;
      const { config } = loaded;
      io.out(
        `${loaded.files.join(', ')}: valid (${config.images.length} images, ${config.policies.length} policies, ${config.automations.length} automations)\n`,
      );
      return 0;
    }
    case 'reconcile':
    case 'plan': {
      const loaded = load();
      const lock = loaded && lockStateDir(loaded, command, io.err);
      if (!loaded || !lock) return 1;
      const strict = command === 'plan' && args.values.strict === true;
      try {
        return await reconcile(loaded, log, io.out, { automation: args.values.automation, dryRun: command === 'plan', strict, env: io.env });
      } finally {
        lock.release();
      }
    }
    case 'serve': {
      const loaded = load();
      const lock = loaded && lockStateDir(loaded, command, io.err);
      if (!loaded || !lock) return 1;
      try {
        const service = await Service.start(loaded, { configPath, env: io.env, watchConfig: true }, log);
        const reload = () => void service.reload();
        process.on('SIGHUP', reload);
        await waitForSignal();
        process.off('SIGHUP', reload);
        await service.stop();
        return 0;
      } finally {
        lock.release();
      }
    }
    case 'scan': {
      const repository = args.positionals[0];
      if (!repository || args.positionals.length > 1) {
        io.err(`scan takes one REPOSITORY\n${USAGE}`);
        return 2;
      }
      const explicitConfig = args.values.config ?? io.env.TAGPILOT_CONFIG;
      const loaded = explicitConfig ? load() : null;
      if (explicitConfig && !loaded) return 1;
      return scan(repository, args.values, loaded, log, io);
    }
    default:
      io.err(`unknown command: ${command}\n${USAGE}`);
      return 2;
  }
}

async function reconcile(
  loaded: LoadedConfig,
  log: Logger,
  out: Out,
  { automation, dryRun, strict = false, env }: { automation?: string; dryRun: boolean; strict?: boolean; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { config } = loaded;
  if (automation && !config.automations.some((a) => a.name === automation)) {
    out(`no automation named ${automation}\n`);
    return 1;
  }
  const state = await createStateStore({ stateDir: config.stateDir, redisUrl: config.queue.redisUrl });
  // A plan changes nothing, so it tells no one.
  const events = dryRun ? undefined : createNotifications(config.notifications, log);
  const pipeline = new Pipeline(config, log, { env, state, events });
  const { ok, results } = await pipeline.reconcile({ automation, dryRun }).finally(() => state.close());
  if (events && !(await events.notifier.idle(NOTIFY_DRAIN_MS))) log.warn('notifications still undelivered at exit');
  for (const result of results) {
    if (dryRun) {
      out(renderPlan(result) + renderWaitingPromotions(pipeline, result.automation));
      continue;
    }
    if (result.commit) out(`${result.automation}: pushed ${result.commit.slice(0, 12)} to ${result.branch}: ${result.subject}\n`);
    else if (result.alreadyPushed) out(`${result.automation}: ${result.branch} is up to date (${result.alreadyPushed.slice(0, 12)})\n`);
    else out(`${result.automation}: no change\n`);
    if (result.pullRequest) out(`${result.automation}: review request #${result.pullRequest.number} ${result.pullRequest.action}: ${result.pullRequest.url}\n`);
    for (const h of result.heldBack) {
      out(`${result.automation}: ${h.policy}: ${h.repository}:${h.tag} held back (reverted by ${h.revertedBy.slice(0, 12)})\n`);
    }
    for (const problem of result.problems) out(`${result.automation}: problem: ${formatSetterProblem(problem)}\n`);
  }
  for (const [name, status] of pipeline.automations) if (status.error) out(`${name}: failed: ${status.error}\n`);
  for (const [name, status] of pipeline.images) if (status.error) out(`image ${name}: failed: ${status.error}\n`);
  if (strict && results.some((r) => r.problems.length > 0)) return 1;
  return ok ? 0 : 1;
}

async function scan(
  repository: string,
  flags: { semver?: string; alphabetical?: string; numerical?: string; filter?: string; extract?: string; 'cosign-key'?: string; json?: boolean },
  loaded: LoadedConfig | null,
  log: Logger,
  io: { out: Out; err: Out },
): Promise<number> {
  let policy;
  try {
    policy = compileAdHocPolicy({ image: repository, ...flags });
  } catch (err) {
    io.err(`${errorMessage(err)}\n`);
    return 2;
  }
  const registry = new RegistryClient(loaded?.config.registries ?? [], log.child({ stage: 'registry' }));
  let verifier;
  try {
    verifier = flags['cosign-key'] === undefined ? undefined : new CosignVerifier(registry, loadCosignPublicKey(flags['cosign-key']));
  } catch (err) {
    io.err(`${errorMessage(err)}\n`);
    return 2;
  }
  let report: ScanReport;
  try {
    report = await scanAndPick(registry, repository, policy, { exclude: excludeFor(loaded?.config, repository), verifier });
  } catch (err) {
    if (flags.json) io.out(`${JSON.stringify({ repository, tags: [], latest: null, reason: errorMessage(err) })}\n`);
    io.err(`${errorMessage(err)}\n`);
    return 1;
  }
  io.out(flags.json ? `${JSON.stringify(report)}\n` : renderScanReport(report));
  return report.latest ? 0 : 1;
}

const IMPORTERS: Record<string, (files: ReadonlyArray<ManifestFile>) => ImportResult> = { flux: importFlux, argocd: importArgocd };

function importCommand(positionals: string[], io: { out: Out; err: Out }): number {
  const [source, ...paths] = positionals;
  const importer = source === undefined ? undefined : IMPORTERS[source];
  if (!importer) {
    io.err(`usage: tagpilot import ${Object.keys(IMPORTERS).join('|')} FILE|DIR|- ...\n`);
    return 2;
  }
  let files;
  try {
    files = readManifestFiles(paths);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    io.err(`${err.message}\n`);
    return 2;
  }
  const { yaml, warnings, found } = importer(files);
  for (const warning of warnings) io.err(`warning: ${warning}\n`);
  io.out(yaml);
  return found > 0 ? 0 : 1;
}

/** One process per stateDir (SPEC §7); null (after saying who holds it) when another one runs. */
function lockStateDir(loaded: LoadedConfig, command: string, err: Out): StateDirLock | null {
  try {
    return acquireStateDirLock(loaded.config.stateDir, command);
  } catch (error) {
    // A stateDir we cannot create or write (EACCES, EROFS) is bad input too: say which.
    err(error instanceof InputError ? `${error.message}\n` : `stateDir ${loaded.config.stateDir}: ${errorMessage(error)}\n`);
    return null;
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
  });
}
