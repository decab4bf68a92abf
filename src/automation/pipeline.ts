// The pipeline for one loaded config: registry → policy → (queue) → git. It scans images, keeps
// the picks and the last results for status, and runs automations. Serve and reconcile both use it.
import type { Config, ImageConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { compilePolicy, type Evaluation, type Policy } from '../policy/policy.js';
import { RegistryClient } from '../registry/registry-client.js';
import type { ImagePick } from '../update/apply-setters.js';
import { runAutomation, type AutomationResult } from './run-automation.js';

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
  readonly registry: RegistryClient;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    registry?: RegistryClient,
  ) {
    this.registry = registry ?? new RegistryClient(config.registries, log.child({ stage: 'registry' }));
    this.compiled = config.policies.map(compilePolicy);
    for (const i of config.images) this.images.set(i.name, { lastScan: null, tags: [], excluded: 0, error: null });
    for (const p of config.policies) this.policies.set(p.name, { pick: null, evaluation: null, error: null });
    for (const a of config.automations) {
      this.automations.set(a.name, { lastRun: null, result: null, lastCommit: null, error: null });
    }
  }

  /** Lists an image's tags and re-evaluates its policies; returns the policies whose pick changed. */
  async scanImage(name: string): Promise<string[]> {
    const image = this.image(name);
    const status = this.images.get(name)!;
    const log = this.log.child({ image: name });
    try {
      const all = await this.registry.listTags(image.repository);
      const tags = withoutExcluded(all, image);
      Object.assign(status, { lastScan: new Date(), tags, excluded: all.length - tags.length, error: null });
      log.debug({ tags: all.length, excluded: all.length - tags.length }, 'scanned');
    } catch (err) {
      Object.assign(status, { lastScan: new Date(), error: errorMessage(err) });
      log.warn({ err: errorMessage(err) }, 'scan failed');
      for (const policy of this.compiled.filter((p) => p.image === name)) {
        this.policies.get(policy.name)!.error = `image ${name}: ${errorMessage(err)}`;
      }
      throw err;
    }
    const changed: string[] = [];
    for (const policy of this.compiled.filter((p) => p.image === name)) {
      if (await this.evaluate(policy, image, status.tags)) changed.push(policy.name);
    }
    return changed;
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
    return before?.tag !== pick?.tag || before?.digest !== pick?.digest;
  }

  /** The current picks of the policies an automation uses. */
  picksFor(automation: string): Map<string, ImagePick> {
    const config = this.automation(automation);
    const names = config.policies ?? this.config.policies.map((p) => p.name);
    const picks = new Map<string, ImagePick>();
    for (const name of names) {
      const pick = this.policies.get(name)?.pick;
      if (pick) picks.set(name, pick);
    }
    return picks;
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
        dryRun: options.dryRun,
      });
      Object.assign(status, { lastRun: new Date(), result, error: null });
      if (result.commit) status.lastCommit = { sha: result.commit, subject: result.subject ?? '', at: new Date() };
      return result;
    } catch (err) {
      Object.assign(status, { lastRun: new Date(), error: errorMessage(err) });
      throw err;
    }
  }

  /** One full pass: every image, then every (or the named) automation. False if anything failed. */
  async reconcile(options: { automation?: string; dryRun?: boolean } = {}): Promise<{ ok: boolean; results: AutomationResult[] }> {
    const automations = options.automation ? [this.automation(options.automation)] : this.config.automations;
    const wantedPolicies = new Set(automations.flatMap((a) => a.policies ?? this.config.policies.map((p) => p.name)));
    const wantedImages = new Set(this.config.policies.filter((p) => wantedPolicies.has(p.name)).map((p) => p.image));
    const images = options.automation ? this.config.images.filter((i) => wantedImages.has(i.name)) : this.config.images;
    let ok = true;
    await Promise.all(
      images.map((image) =>
        this.scanImage(image.name).catch(() => {
          ok = false;
        }),
      ),
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

  private image(name: string): ImageConfig {
    const image = this.config.images.find((i) => i.name === name);
    if (!image) throw new Error(`no image named ${name}`);
    return image;
  }

  private automation(name: string) {
    const automation = this.config.automations.find((a) => a.name === name);
    if (!automation) throw new Error(`no automation named ${name}`);
    return automation;
  }
}

/** Drops tags matching the image's exclude patterns (cosign .sig/.att/.sbom by default). */
export function withoutExcluded(tags: readonly string[], image: ImageConfig): string[] {
  const patterns = image.exclude.map((source) => new RegExp(source));
  return tags.filter((tag) => !patterns.some((re) => re.test(tag)));
}
