// The command line (SPEC §5). Standard output carries only each command's result; logs go to stderr.
import { parseArgs } from 'node:util';
import type { ScanReport } from './automation/scan-repository.js';
import { DEFAULT_CONFIG_PATH } from './config/default-config-path.js';
import type { LoadedConfig, LoadOptions } from './config/load-config.js';
import { ConfigError, errorMessage, InputError } from './errors.js';
import type { ImportResult } from './import/flux.js';
import type { ManifestFile } from './import/kubernetes-objects.js';
import type { Logger } from './log.js';
import type { StateDirLock } from './state/state-dir-lock.js';

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

/** Every command's flags: parseArgs rejects any other. */
function parseCommandArgs(args: string[]) {
  return parseArgs({
    args,
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
}

/** What every command gets: its parsed arguments, the config loader, a logger, and where to write. */
interface CommandContext {
  args: ReturnType<typeof parseCommandArgs>;
  io: { out: Out; err: Out; env: NodeJS.ProcessEnv };
  configPath: string;
  /** The config, or null after printing its problems. */
  load: (options?: LoadOptions) => Promise<LoadedConfig | null>;
  log: () => Promise<Logger>;
}

/**
 * Every command, each loading the modules it needs when it runs (dynamic import), so that `--help`
 * or `check` do not pay for the queue, the HTTP server, git or OpenPGP: module loading is most of a
 * short command's time. A new command is one entry here; keep its imports inside it.
 */
const COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  async check({ load, io }) {
    const loaded = await load({ checkFiles: true });
    if (!loaded) return 1;
    const { config } = loaded;
    io.out(
      `${loaded.files.join(', ')}: valid (${config.images.length} images, ${config.policies.length} policies, ${config.automations.length} automations)\n`,
    );
    return 0;
  },
  reconcile: (ctx) => reconcileCommand(ctx, false),
  plan: (ctx) => reconcileCommand(ctx, true),
  async serve({ load, log, io, configPath }) {
    const loaded = await load();
    const lock = loaded && (await lockStateDir(loaded, 'serve', io.err));
    if (!loaded || !lock) return 1;
    try {
      const { Service } = await import('./serve.js');
      const service = await Service.start(loaded, { configPath, env: io.env, watchConfig: true }, await log()).catch((err: unknown) => {
        // A port in use, say: one line naming the setting, not a stack trace.
        if (!(err instanceof InputError)) throw err;
        io.err(`${err.message}\n`);
        return null;
      });
      if (!service) return 1;
      const reload = () => void service.reload();
      process.on('SIGHUP', reload);
      await waitForSignal();
      process.off('SIGHUP', reload);
      await service.stop();
      return 0;
    } finally {
      lock.release();
    }
  },
  async scan({ args, load, log, io }) {
    const repository = args.positionals[0];
    if (!repository || args.positionals.length > 1) {
      io.err(`scan takes one REPOSITORY\n${USAGE}`);
      return 2;
    }
    const explicitConfig = args.values.config ?? io.env.TAGPILOT_CONFIG;
    const loaded = explicitConfig ? await load() : null;
    if (explicitConfig && !loaded) return 1;
    return scan(repository, args.values, loaded, await log(), io);
  },
  async schema({ io }) {
    const { configJsonSchemaText } = await import('./config/json-schema.js');
    io.out(configJsonSchemaText());
    return 0;
  },
  import: ({ args, io }) => importCommand(args.positionals, io),
};

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
    args = parseCommandArgs(rest);
  } catch (err) {
    io.err(`${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  if (!command || command === 'help' || command === '--help' || args.values.help) {
    io.out(USAGE);
    return command ? 0 : 2;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    io.err(`unknown command: ${command}\n${USAGE}`);
    return 2;
  }
  const configPath = args.values.config ?? io.env.TAGPILOT_CONFIG ?? DEFAULT_CONFIG_PATH;
  const load = async (options: LoadOptions = {}): Promise<LoadedConfig | null> => {
    const { loadConfig } = await import('./config/load-config.js');
    try {
      return await loadConfig(configPath, io.env, options);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.err(`${err.message}\n`);
      return null;
    }
  };
  const log = async () => (await import('./log.js')).createLogger(io.env.TAGPILOT_LOG_LEVEL);
  return run({ args, io, configPath, load, log });
}

async function reconcileCommand({ args, load, log, io }: CommandContext, dryRun: boolean): Promise<number> {
  const loaded = await load();
  const lock = loaded && (await lockStateDir(loaded, dryRun ? 'plan' : 'reconcile', io.err));
  if (!loaded || !lock) return 1;
  const strict = dryRun && args.values.strict === true;
  try {
    return await reconcile(loaded, log, io.out, { automation: args.values.automation, dryRun, strict, env: io.env });
  } finally {
    lock.release();
  }
}

/** One pass; the logger is made once the fetch ahead is under way (nothing before it logs). */
async function reconcile(
  loaded: LoadedConfig,
  makeLogger: () => Promise<Logger>,
  out: Out,
  { automation, dryRun, strict = false, env }: { automation?: string; dryRun: boolean; strict?: boolean; env: NodeJS.ProcessEnv },
): Promise<number> {
  const { config } = loaded;
  if (automation && !config.automations.some((a) => a.name === automation)) {
    out(`no automation named ${automation}\n`);
    return 1;
  }
  const [{ createStateStore }, { fetchAhead }] = await Promise.all([import('./state/state-store.js'), import('./automation/run-automation-clone.js')]);
  const state = await createStateStore({ stateDir: config.stateDir, redisUrl: config.queue.redisUrl });
  // The first automation's branch is fetched while the rest loads and the registries are scanned: a
  // fetch needs no picks. Later ones fetch when they run, so that their heads are not old by then.
  const first = config.automations.find((a) => !automation || a.name === automation);
  const fetchAheadDone = new AbortController();
  if (first) await fetchAhead(first, { stateDir: config.stateDir, state, env, http: { signal: fetchAheadDone.signal } });
  const [log, { Pipeline }, { formatSetterProblem }, { createNotifications, NOTIFY_DRAIN_MS }] = await Promise.all([
    makeLogger(),
    import('./automation/pipeline.js'),
    import('./automation/format-setter-problem.js'),
    import('./notify/create-notifications.js'),
  ]);
  // A plan changes nothing, so it tells no one.
  const events = dryRun ? undefined : createNotifications(config.notifications, log);
  const pipeline = new Pipeline(config, log, { env, state, events });
  const { ok, results } = await pipeline.reconcile({ automation, dryRun }).finally(() => {
    // A fetch ahead that no run took (its automation had no fresh picks) is not waited for at exit.
    fetchAheadDone.abort(new Error('reconcile is done'));
    return state.close();
  });
  if (events && !(await events.notifier.idle(NOTIFY_DRAIN_MS))) log.warn('notifications still undelivered at exit');
  // Only a plan renders diffs (and loads the diff library).
  const plans = dryRun ? await Promise.all([import('./automation/render-plan.js'), import('./automation/render-waiting-promotions.js')]) : null;
  for (const result of results) {
    if (plans) {
      const [{ renderPlan }, { renderWaitingPromotions }] = plans;
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
  const [{ compileAdHocPolicy }, { RegistryClient }, { excludeFor, renderScanReport, scanAndPick }] = await Promise.all([
    import('./policy/ad-hoc-policy.js'),
    import('./registry/registry-client.js'),
    import('./automation/scan-repository.js'),
  ]);
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
    if (flags['cosign-key'] !== undefined) {
      const [{ CosignVerifier }, { loadCosignPublicKey }] = await Promise.all([import('./verify/cosign-verifier.js'), import('./verify/cosign-public-key.js')]);
      verifier = new CosignVerifier(registry, loadCosignPublicKey(flags['cosign-key']));
    }
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

/** Each importer, loaded when asked for. */
const IMPORTERS: Record<string, () => Promise<(files: ReadonlyArray<ManifestFile>) => ImportResult>> = {
  flux: async () => (await import('./import/flux.js')).importFlux,
  argocd: async () => (await import('./import/argocd.js')).importArgocd,
};

async function importCommand(positionals: string[], io: { out: Out; err: Out }): Promise<number> {
  const [source, ...paths] = positionals;
  const load = source !== undefined && Object.hasOwn(IMPORTERS, source) ? IMPORTERS[source] : undefined;
  if (!load) {
    io.err(`usage: tagpilot import ${Object.keys(IMPORTERS).join('|')} FILE|DIR|- ...\n`);
    return 2;
  }
  const [importer, { readManifestFiles }] = await Promise.all([load(), import('./import/read-manifest-files.js')]);
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
async function lockStateDir(loaded: LoadedConfig, command: string, err: Out): Promise<StateDirLock | null> {
  const { acquireStateDirLock } = await import('./state/state-dir-lock.js');
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
