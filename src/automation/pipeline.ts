// The pipeline for one loaded config: registry → policy → (queue) → git. It scans images, keeps
// the picks and the last results for status, and runs automations. Serve and reconcile both use it.
import type { AutomationConfig, Config, ImageConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { GitHttpClientOptions } from '../git/git-http-client.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { compilePolicy, type Evaluation, type Policy } from '../policy/policy.js';
import { RegistryClient } from '../registry/registry-client.js';
import { scanRepository } from '../registry/scan-repository.js';
import type { ImagePick } from '../update/apply-setters.js';
import { runAutomation, type AutomationResult } from './run-automation.js';

/** What a scan changed, and what went wrong if anything did (recorded in the statuses too). */
export interface ScanOutcome {
  changed: string[];
  failure: unknown;
}

/** The last scan of an image. */
export interface ImageStatus {
  lastScan: Date | null;
  tags: string[];
  excluded: number;
  error: string | null;
}

/** A policy's current pick, and why there is none. */
export interface PolicyStatus {
  pick: ImagePick | null;
  evaluation: Evaluation | null;
  error: string | null;
}

/** The last run of an automation. */
export interface AutomationStatus {
  lastRun: Date | null;
  result: AutomationResult | null;
  lastCommit: { sha: string; subject: string; at: Date } | null;
  error: string | null;
}

/** Wires one config's stages together and remembers what they last saw. */
export class Pipeline {
  readonly images = new Map<string, ImageStatus>();
  readonly policies = new Map<string, PolicyStatus>();
  readonly automations = new Map<string, AutomationStatus>();
  private readonly compiled: Policy[];
  /** What a scan looks up, by name: searching the config's lists made 1,000 images' scans quadratic. */
  private readonly imagesByName: Map<string, ImageConfig>;
  private readonly policiesByImage = new Map<string, Policy[]>();
  readonly registry: RegistryClient;
  private readonly metrics: Metrics | undefined;
  /** The environment the config was loaded with: secrets named by *Env keys are read from it. */
  private readonly env: NodeJS.ProcessEnv;
  /** Git request timeouts, and the signal that abandons requests when the service stops. */
  private readonly gitHttp: GitHttpClientOptions | undefined;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    options: { registry?: RegistryClient; metrics?: Metrics; env?: NodeJS.ProcessEnv; gitHttp?: GitHttpClientOptions } = {},
  ) {
    this.metrics = options.metrics;
    this.gitHttp = options.gitHttp;
    this.env = options.env ?? process.env;
    const registry = options.registry;
    this.registry = registry ?? new RegistryClient(config.registries, log.child({ stage: 'registry' }));
    this.compiled = config.policies.map(compilePolicy);
    this.imagesByName = new Map(config.images.map((i) => [i.name, i]));
    for (const policy of this.compiled) {
      const policies = this.policiesByImage.get(policy.image) ?? [];
      this.policiesByImage.set(policy.image, [...policies, policy]);
    }
    for (const i of config.images) this.images.set(i.name, { lastScan: null, tags: [], excluded: 0, error: null });
    for (const p of config.policies) this.policies.set(p.name, { pick: null, evaluation: null, error: null });
    for (const a of config.automations) {
      this.automations.set(a.name, { lastRun: null, result: null, lastCommit: null, error: null });
    }
  }

  /**
   * Lists an image's tags and re-evaluates its policies. Returns the policies whose pick changed
   * even when another of them failed (a digest lookup, say), so no change is lost; the first
   * failure comes back beside them for the caller to retry.
   */
  async scanImage(name: string): Promise<ScanOutcome> {
    const image = this.image(name);
    const status = this.images.get(name)!;
    const timer = this.metrics?.scanDuration.startTimer({ image: name });
    try {
      const { tags, excluded } = await scanRepository(this.registry, image.repository, image.exclude);
      Object.assign(status, { lastScan: new Date(), tags, excluded: excluded.length, error: null });
      // Fields, not log.child(): a child logger costs more than the scan's own work when nothing is logged.
      this.log.debug({ image: name, tags: tags.length, excluded: excluded.length }, 'scanned');
      this.metrics?.scans.inc({ image: name, result: 'ok' });
      this.metrics?.tagsSeen.set({ image: name }, tags.length);
    } catch (err) {
      this.metrics?.scans.inc({ image: name, result: 'error' });
      Object.assign(status, { lastScan: new Date(), error: errorMessage(err) });
      this.log.warn({ image: name, err: errorMessage(err) }, 'scan failed');
      for (const policy of this.policiesByImage.get(name) ?? []) {
        this.policies.get(policy.name)!.error = `image ${name}: ${errorMessage(err)}`;
      }
      return { changed: [], failure: err };
    } finally {
      timer?.();
    }
    const outcome: ScanOutcome = { changed: [], failure: null };
    for (const policy of this.policiesByImage.get(name) ?? []) {
      try {
        if (await this.evaluate(policy, image, status.tags)) outcome.changed.push(policy.name);
      } catch (err) {
        // The policy keeps its previous pick, so the retry sees the change again.
        this.log.warn({ image: name, policy: policy.name, err: errorMessage(err) }, 'policy evaluation failed');
        outcome.failure ??= err;
      }
    }
    return outcome;
  }

  /** Evaluates one policy on fresh tags; true when its pick (tag or digest) changed. */
  private async evaluate(policy: Policy, image: ImageConfig, tags: string[]): Promise<boolean> {
    const status = this.policies.get(policy.name)!;
    const before = status.pick;
    const evaluation = policy.evaluate(tags);
    let pick: ImagePick | null = null;
    try {
      if (evaluation.pick) {
        pick = { policy: policy.name, repository: image.repository, tag: evaluation.pick.tag };
        if (policy.digest) pick.digest = await this.registry.getDigest(image.repository, evaluation.pick.tag);
      }
      Object.assign(status, { pick, evaluation, error: evaluation.reason });
    } catch (err) {
      Object.assign(status, { evaluation, error: errorMessage(err) });
      throw err;
    }
    if (evaluation.reason) this.log.info({ policy: policy.name, reason: evaluation.reason }, 'no pick');
    const changed = before?.tag !== pick?.tag || before?.digest !== pick?.digest;
    if (changed) {
      this.metrics?.picksChanged.inc({ policy: policy.name });
      this.log.info({ policy: policy.name, from: before?.tag ?? null, to: pick?.tag ?? null }, 'pick changed');
    }
    return changed;
  }

  /** The current picks of the policies an automation uses. */
  picksFor(automation: string): Map<string, ImagePick> {
    const names = this.policiesOf(this.automation(automation));
    const picks = new Map<string, ImagePick>();
    for (const name of names) {
      const pick = this.policies.get(name)?.pick;
      if (pick) picks.set(name, pick);
    }
    return picks;
  }

  /** Scans every image an automation's policies watch (failures are recorded, not thrown). */
  async scanImagesOf(automation: string): Promise<void> {
    await Promise.all(this.imagesWatchedBy([this.automation(automation)]).map((image) => this.scanImage(image)));
  }

  /** Automations that use `policy`. */
  automationsUsing(policy: string): string[] {
    return this.config.automations.filter((a) => !a.policies || a.policies.includes(policy)).map((a) => a.name);
  }

  /** Runs an automation with the current picks and records the outcome. */
  async runAutomation(name: string, options: { dryRun?: boolean } = {}): Promise<AutomationResult> {
    const config = this.automation(name);
    const status = this.automations.get(name)!;
    try {
      const result = await runAutomation(config, this.picksFor(name), {
        stateDir: this.config.stateDir,
        log: this.log,
        knownPolicies: new Set(this.config.policies.map((p) => p.name)),
        dryRun: options.dryRun,
        env: this.env,
        http: this.gitHttp,
      });
      Object.assign(status, { lastRun: new Date(), result, error: null });
      if (result.commit) status.lastCommit = { sha: result.commit, subject: result.subject ?? '', at: new Date() };
      this.metrics?.automationRuns.inc({ automation: name, result: result.changes.length > 0 ? 'changed' : 'unchanged' });
      if (result.commit) this.metrics?.commits.inc({ automation: name });
      if (result.pushAttempts > 1) this.metrics?.pushRetries.inc({ automation: name }, result.pushAttempts - 1);
      return result;
    } catch (err) {
      this.metrics?.automationRuns.inc({ automation: name, result: 'error' });
      Object.assign(status, { lastRun: new Date(), error: errorMessage(err) });
      throw err;
    }
  }

  /** One full pass: every image, then every (or the named) automation. False if anything failed. */
  async reconcile(options: { automation?: string; dryRun?: boolean } = {}): Promise<{ ok: boolean; results: AutomationResult[] }> {
    const automations = options.automation ? [this.automation(options.automation)] : this.config.automations;
    const images = options.automation ? this.imagesWatchedBy(automations) : this.config.images.map((i) => i.name);
    let ok = true;
    await Promise.all(
      images.map(async (image) => {
        if ((await this.scanImage(image)).failure) ok = false;
      }),
    );
    const results: AutomationResult[] = [];
    for (const automation of automations) {
      try {
        results.push(await this.runAutomation(automation.name, { dryRun: options.dryRun }));
      } catch (err) {
        ok = false;
        this.log.error({ automation: automation.name, err: errorMessage(err) }, 'automation failed');
      }
    }
    return { ok, results };
  }

  /**
   * Carries over the last scans and runs of a pipeline this one replaces (config reload), for names
   * both know. Picks are not carried: a changed policy must be evaluated afresh, and a fresh pick
   * makes every automation run once against the new config.
   */
  adoptStatus(previous: Pipeline): void {
    for (const [name, status] of previous.images) if (this.images.has(name)) this.images.set(name, status);
    for (const [name, status] of previous.automations) if (this.automations.has(name)) this.automations.set(name, status);
  }

  private image(name: string): ImageConfig {
    const image = this.imagesByName.get(name);
    if (!image) throw new Error(`no image named ${name}`);
    return image;
  }

  /** Names of the images the automations' policies watch, in config order. */
  private imagesWatchedBy(automations: readonly AutomationConfig[]): string[] {
    const policies = new Set(automations.flatMap((a) => this.policiesOf(a)));
    const images = new Set(this.config.policies.filter((p) => policies.has(p.name)).map((p) => p.image));
    return this.config.images.map((i) => i.name).filter((name) => images.has(name));
  }

  private policiesOf(automation: AutomationConfig): string[] {
    return automation.policies ?? this.config.policies.map((p) => p.name);
  }

  private automation(name: string): AutomationConfig {
    const automation = this.config.automations.find((a) => a.name === name);
    if (!automation) throw new Error(`no automation named ${name}`);
    return automation;
  }
}
