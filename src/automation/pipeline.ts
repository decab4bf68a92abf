// The pipeline for one loaded config: registry → policy → (queue) → git. It scans images, keeps
// the picks and the last results, and runs automations. Serve and reconcile both use it.
//
// Every write decision comes from the state store (SPEC §7), not from this process's memory: a scan
// stores its picks there (a newer scan's never overwritten by an older one's), and a write reads
// them back, refusing — as a transient failure the queue retries — when the last scan of an image
// it depends on failed, or a pick was not made under the config in force. So a replica that cannot
// reach the registry writes what another replica picked, or nothing; never an older view of its own.
import type { AutomationConfig, Config, ImageConfig, PolicyConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { GitHttpClientOptions } from '../git/git-http-client.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { compilePolicy, type Evaluation, type Policy } from '../policy/policy.js';
import { RegistryClient } from '../registry/registry-client.js';
import { scanRepository } from '../registry/scan-repository.js';
import type { ImagePick, SetterChange } from '../update/apply-setters.js';
import { FileStateStore } from '../state/file-state-store.js';
import type { StateStore, Versioned } from '../state/state-store.js';
import { createHash } from 'node:crypto';
import { TransientError } from '../errors.js';
import { policyId, resolvePolicyText } from '../update/policy-id.js';
import type { CosignVerifier } from '../verify/cosign-verifier.js';
import { cosignVerifiers } from '../verify/cosign-verifiers.js';
import { pickVerified } from '../verify/pick-verified.js';
import type { PipelineEvents } from './pipeline-events.js';
import type { AutomationResult, BranchRead, RankedPick } from './run-automation.js';
import type { PromotionEvaluation, PromotionOrigin, PromotionStatus } from '../promotion/evaluate-promotion.js';
import { monotonicMs } from '../monotonic-ms.js';

// The git side (isomorphic-git, commit templates, pull requests) loads when a write or a promotion
// first needs it: a serve that only scans, or scans for minutes before a pick changes, never parses it.
const gitSide = () => import('./run-automation.js');
const promotions = () => import('../promotion/evaluate-promotion.js');

/** What a scan changed, and what went wrong if anything did (recorded in the statuses too). */
export interface ScanOutcome {
  /** Policies whose pick changed. */
  changed: string[];
  /** Automations to run now: those using a changed policy, or every one using this image on its first scan here. */
  writesDue: string[];
  failure: unknown;
}

/**
 * An image's last scan, as the state store keeps it for every replica; its version is the scan's
 * start. Nothing in it changes from one successful scan to the next, so the file store need not
 * write it again.
 */
export interface StoredScan {
  ok: boolean;
  error: string | null;
  /** When the current failure streak began; null while scans succeed. */
  failingSince: number | null;
}

/** A policy's pick, as the state store keeps it for every replica. */
export interface StoredPick {
  repository: string;
  tag: string | null;
  digest: string | null;
  /** The best candidates, best first (the pick first): a revert hold falls back along them. */
  candidates: string[];
  /** Names the policy's config: a pick made under another one is not used. */
  policyKey: string;
  /** Why the last evaluation did not finish (a digest lookup, say); the pick is then not used. */
  error: string | null;
  /** For a promotion policy: where each ranked candidate comes from, for the promoting commit's message. */
  promotion?: PromotionOrigin[] | null;
}

/** An automation's last run, as the state store keeps it for every replica. */
export interface StoredRun {
  at: number;
  ok: boolean;
  error: string | null;
  failingSince: number | null;
  lastCommit: { sha: string; subject: string; at: number } | null;
}

/** The last scan of an image. */
export interface ImageStatus {
  lastScan: Date | null;
  tags: string[];
  excluded: number;
  error: string | null;
  /** When `error` first appeared in the current run of failures; null while healthy. */
  failingSince: Date | null;
  /** The last webhook delivery that named this image. */
  lastWebhook: { at: Date; webhook: string } | null;
}

/** A policy's current pick, and why there is none. */
export interface PolicyStatus {
  pick: ImagePick | null;
  evaluation: Evaluation | null;
  error: string | null;
  failingSince: Date | null;
  /** A promotion policy's eligible and waiting tags (SPEC §2 promotion). */
  promotion?: PromotionStatus | null;
}

/** The last run of an automation. */
export interface AutomationStatus {
  lastRun: Date | null;
  result: AutomationResult | null;
  lastCommit: { sha: string; subject: string; at: Date } | null;
  error: string | null;
  failingSince: Date | null;
  /** What the last run that got as far as reading the branch saw there (values after its own push). */
  read: (BranchRead & { at: Date }) | null;
  /** Changes a run computed but could not get into Git, and why. */
  unpushed: { changes: SetterChange[]; reason: string; since: Date } | null;
}

/** Wires one config's stages together and remembers what they last saw. */
export class Pipeline {
  readonly images = new Map<string, ImageStatus>();
  readonly policies = new Map<string, PolicyStatus>();
  readonly automations = new Map<string, AutomationStatus>();
  private readonly compiled: Policy[];
  /** verify.cosign: policy name → the verifier of its key. */
  private readonly verifiers: Map<string, CosignVerifier>;
  /** What a scan looks up, by name: searching the config's lists made 1,000 images' scans quadratic. */
  private readonly imagesByName: Map<string, ImageConfig>;
  private readonly policiesByImage = new Map<string, Policy[]>();
  /** Each policy's config by id, and its policyKey() once computed: a scan asks for it every time. */
  private readonly policyConfigs: Map<string, PolicyConfig>;
  private readonly policyKeys = new Map<string, string>();
  readonly registry: RegistryClient;
  private readonly metrics: Metrics | undefined;
  /** The environment the config was loaded with: secrets named by *Env keys are read from it. */
  private readonly env: NodeJS.ProcessEnv;
  /** Git request timeouts, and the signal that abandons requests when the service stops. */
  private readonly gitHttp: GitHttpClientOptions | undefined;
  /** Where picks, scans, runs and branch records live for every replica. */
  readonly state: StateStore;
  /**
   * A plain policy's last evaluation (no promotion, signature or digest: nothing but the tags decides
   * its pick) and the tag list it was made on. policy.evaluate() is pure, so a scan that lists the same
   * tags again reuses it instead of filtering and ranking every tag anew (issue 18: most scans of a
   * 1,000-image serve find nothing new). Per pipeline: a reload compiles the policies again.
   */
  private readonly evaluations = new Map<string, { tags: readonly string[]; evaluation: Evaluation }>();
  /** Images scanned at least once by this pipeline: the first scan runs their automations whatever changed. */
  private readonly scannedHere = new Set<string>();
  /** Told of every scan and run outcome (notifications); null for dry runs and tests. */
  readonly events: PipelineEvents | null;
  private readonly notifiedTagWaitMs: number;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    options: {
      registry?: RegistryClient;
      metrics?: Metrics;
      env?: NodeJS.ProcessEnv;
      gitHttp?: GitHttpClientOptions;
      state?: StateStore;
      events?: PipelineEvents;
      /** How long a tag a push notification named is waited for (NOTIFIED_TAG_WAIT_MS). */
      notifiedTagWaitMs?: number;
    } = {},
  ) {
    this.state = options.state ?? new FileStateStore(config.stateDir);
    this.notifiedTagWaitMs = options.notifiedTagWaitMs ?? NOTIFIED_TAG_WAIT_MS;
    this.metrics = options.metrics;
    this.gitHttp = options.gitHttp;
    this.events = options.events ?? null;
    this.env = options.env ?? process.env;
    const registry = options.registry;
    this.registry = registry ?? new RegistryClient(config.registries, log.child({ stage: 'registry' }));
    // From here on a policy is known by its id (`NS:NAME`, or `NAME`): picks and statuses are keyed by it.
    this.compiled = config.policies.map((p) => ({ ...compilePolicy(p), name: policyId(p) }));
    this.verifiers = cosignVerifiers(config.policies, this.registry);
    for (const i of config.images) {
      this.images.set(i.name, { lastScan: null, tags: [], excluded: 0, error: null, failingSince: null, lastWebhook: null });
    }
    for (const p of config.policies) this.policies.set(policyId(p), { pick: null, evaluation: null, error: null, failingSince: null });
    this.imagesByName = new Map(config.images.map((i) => [i.name, i]));
    this.policyConfigs = new Map(config.policies.map((p) => [policyId(p), p]));
    for (const policy of this.compiled) {
      const policies = this.policiesByImage.get(policy.image) ?? [];
      this.policiesByImage.set(policy.image, [...policies, policy]);
    }
    for (const a of config.automations) {
      this.automations.set(a.name, { lastRun: null, result: null, lastCommit: null, error: null, failingSince: null, read: null, unpushed: null });
    }
  }

  /**
   * Lists an image's tags, re-evaluates its policies and stores the picks. Returns the policies whose
   * pick changed even when another of them failed (a digest lookup, say), so no change is lost; the
   * first failure comes back beside them for the caller to retry. A tag a push notification named
   * that the registry does not list yet is such a failure, so the queue scans again; with `oneShot`
   * (reconcile, which nothing retries) it is only logged, and left for a serve sharing the state.
   */
  async scanImage(name: string, { oneShot = false }: { oneShot?: boolean } = {}): Promise<ScanOutcome> {
    const image = this.image(name);
    const status = this.images.get(name)!;
    // Not prom-client's startTimer(): that is two closures and a merged labels object per scan.
    const timerStart = monotonicMs();
    // The scan's start orders it against other replicas' scans: a slower, older one never overwrites.
    const startedAt = Date.now();
    const policies = this.policiesByImage.get(name) ?? [];
    let excluded: readonly string[] = [];
    try {
      const scanned = await scanRepository(this.registry, image.repository, image.exclude);
      // The same list as last time is kept as the same array: evaluations made on it are known to still hold.
      const tags = sameTags(status.tags, scanned.tags) ? status.tags : scanned.tags;
      ({ excluded } = scanned);
      Object.assign(status, { lastScan: new Date(), tags, excluded: excluded.length, error: null });
      trackFailure(status);
      // Fields, not log.child(): a child logger costs more than the scan's own work when nothing is logged.
      this.log.debug({ image: name, tags: tags.length, excluded: excluded.length }, 'scanned');
      this.metrics?.scans.inc({ image: name, result: 'ok' });
      this.metrics?.tagsSeen.set({ image: name }, tags.length);
    } catch (err) {
      this.metrics?.scans.inc({ image: name, result: 'error' });
      Object.assign(status, { lastScan: new Date(), error: errorMessage(err) });
      trackFailure(status);
      this.log.warn({ image: name, err: errorMessage(err) }, 'scan failed');
      for (const policy of policies) {
        this.policies.get(policy.name)!.error = `image ${name}: ${errorMessage(err)}`;
        trackFailure(this.policies.get(policy.name)!);
      }
      await this.recordScan(name, startedAt, errorMessage(err));
      this.events?.imageScanned(name, err);
      return { changed: [], writesDue: [], failure: err };
    } finally {
      this.metrics?.scanDuration.observe({ image: name }, (monotonicMs() - timerStart) / 1000);
    }
    const outcome: ScanOutcome = { changed: [], writesDue: [], failure: null };
    // The tags push notifications named come with the picks: one read of the store per scan.
    const stored = await this.state.get<StoredPick>([...policies.map((p) => pickKey(p.name)), awaitedKey(name)]);
    for (const policy of policies) {
      const before = stored.get(pickKey(policy.name))?.value;
      try {
        if (await this.evaluate(policy, image, status.tags, before, startedAt)) outcome.changed.push(policy.name);
      } catch (err) {
        // The stored pick stays and carries the error: no write uses it until a scan succeeds.
        this.log.warn({ image: name, policy: policy.name, err: errorMessage(err) }, 'policy evaluation failed');
        outcome.failure ??= err;
        const failed: StoredPick = { ...(before ?? emptyPick(image.repository)), policyKey: this.policyKey(policy.name), error: errorMessage(err) };
        await this.state.put(pickKey(policy.name), failed, startedAt);
      }
    }
    const awaited = stored.get(awaitedKey(name)) as Versioned<AwaitedTags> | undefined;
    if (awaited && awaited.value.tags.length > 0) {
      const unlisted = await this.settleAwaitedTags(name, awaited, status.tags, excluded);
      // Not "nothing new": the registry has not caught up with its own notification. The queue
      // scans again with backoff (a one-shot reconcile only says so), and the picks stored above stand.
      if (unlisted.length > 0) {
        const named = unlisted.map((t) => `${t.tag} (named by webhook ${t.webhook})`).join(', ');
        if (oneShot) this.log.info({ image: name, tags: unlisted.map((t) => t.tag) }, `the registry does not list ${named} yet`);
        else outcome.failure ??= new TransientError(`image ${name}: the registry does not list ${named} yet; scanning again`);
      }
    }
    await this.recordScan(name, startedAt, null);
    const firstScan = !this.scannedHere.has(name);
    this.scannedHere.add(name);
    const due = firstScan ? policies.map((p) => p.name) : outcome.changed;
    outcome.writesDue = [...new Set(due.flatMap((policy) => this.automationsUsing(policy)))];
    this.events?.imageScanned(name, outcome.failure);
    return outcome;
  }

  /** Stores the outcome of a scan that began at `startedAt` (error null: it succeeded). */
  private async recordScan(image: string, startedAt: number, error: string | null): Promise<void> {
    const key = scanKey(image);
    // Only a failure needs the stored streak: a success ends it.
    const previous = error === null ? undefined : (await this.state.get<StoredScan>([key])).get(key)?.value;
    const failingSince = error === null ? null : (previous?.failingSince ?? startedAt);
    await this.state.put<StoredScan>(key, { ok: error === null, error, failingSince }, startedAt);
  }

  /**
   * Evaluates one policy on fresh tags and stores the pick; true when its pick (tag or digest) changed
   * from the stored one. A reload that leaves a policy as it was changes nothing, so it neither counts
   * nor logs a change.
   */
  private async evaluate(policy: Policy, image: ImageConfig, tags: string[], before: StoredPick | undefined, startedAt: number): Promise<boolean> {
    const status = this.policies.get(policy.name)!;
    const verifier = this.verifiers.get(policy.name);
    // Promotion: the candidates are what the source kept for the soak; its history is read here (SPEC §2).
    // Any other policy skips the call (a promise and a closure per scan for nothing).
    const promotion = this.policyConfigs.get(policy.name)?.promotion
      ? await this.evaluatePromotion(policy, image, tags).catch((err: unknown) => {
          Object.assign(status, { error: errorMessage(err) });
          throw err;
        })
      : null;
    if (promotion) {
      status.promotion = promotion.status;
      const now = Date.now();
      for (const w of promotion.status.waiting) {
        this.events?.promotionWaiting({
          policy: policy.name,
          repository: image.repository,
          tag: w.tag,
          from: promotion.status.from,
          automations: this.automationsUsing(policy.name),
          soakedMs: w.soakedMs,
          soakMs: promotion.status.soakMs,
          readyAt: now + w.leftMs,
        });
      }
    }
    let evaluation: Evaluation;
    let pick: RankedPick | null = null;
    try {
      let digest: string | null = null;
      if (!promotion && !verifier && !policy.digest) {
        evaluation = this.plainEvaluation(policy, tags);
      } else {
        // Drops candidates whose cosign signature is missing or bad, best first, until one verifies.
        const verified = await pickVerified(policy, promotion ? promotion.tags : tags, {
          digest: (tag) => this.registry.getDigest(image.repository, tag),
          verify: verifier && ((digest) => verifier.verify(image.repository, digest)),
          needDigest: policy.digest,
          onVerdict: (v) => this.metrics?.signatureChecks.inc({ policy: policy.name, result: v.verified ? 'verified' : v.kind }),
        });
        evaluation = verified.evaluation;
        digest = verified.digest;
        if (promotion && !evaluation.pick && verified.evaluation.skipped === undefined) evaluation.reason = promotion.evaluation.reason;
      }
      if (evaluation.pick) {
        pick = { policy: policy.name, repository: image.repository, tag: evaluation.pick.tag, ...(promotion ? { promotion: promotion.origins } : {}) };
        if (policy.digest) pick.digest = digest!;
      }
      Object.assign(status, { pick, evaluation, error: evaluation.reason });
      trackFailure(status);
    } catch (err) {
      Object.assign(status, { error: errorMessage(err) });
      trackFailure(status);
      throw err;
    }
    for (const skip of evaluation.skipped ?? []) this.log.debug({ policy: policy.name, tag: skip.tag, reason: skip.reason }, 'candidate skipped: not signed');
    if (evaluation.reason) this.log.info({ policy: policy.name, reason: evaluation.reason }, 'no pick');
    const record: StoredPick = {
      repository: image.repository,
      tag: pick?.tag ?? null,
      digest: pick?.digest ?? null,
      // Only the pick was verified: a policy that verifies signatures has no unverified fallback.
      candidates: verifier ? (pick ? [pick.tag] : []) : evaluation.ranked,
      policyKey: this.policyKey(policy.name),
      error: null,
      promotion: promotion?.origins ?? null,
    };
    // Another replica's newer scan got there first: its pick stands, and this one changed nothing.
    if (!(await this.state.put(pickKey(policy.name), record, startedAt))) return false;
    const changed = (before?.tag ?? null) !== record.tag || (before?.digest ?? null) !== record.digest || before?.repository !== record.repository;
    if (changed) {
      this.metrics?.picksChanged.inc({ policy: policy.name });
      this.log.info({ policy: policy.name, from: before?.tag ?? null, to: record.tag }, 'pick changed');
    }
    return changed;
  }

  /**
   * A plain policy's evaluation of `tags`: the one made on this very list when the last scan found
   * the same tags (scanImage keeps the array), else made now and remembered.
   */
  private plainEvaluation(policy: Policy, tags: readonly string[]): Evaluation {
    const last = this.evaluations.get(policy.name);
    if (last?.tags === tags) return last.evaluation;
    const evaluation = policy.evaluate(tags);
    this.evaluations.set(policy.name, { tags, evaluation });
    return evaluation;
  }

  /** A promotion policy's evaluation (null when its config names none). */
  private async evaluatePromotion(policy: Policy, image: ImageConfig, tags: string[]): Promise<PromotionEvaluation | null> {
    const { evaluatePromotion } = await promotions();
    return evaluatePromotion(this.config, policy, image.repository, tags, { stateDir: this.config.stateDir, http: this.gitHttp, env: this.env, state: this.state });
  }

  /**
   * The stored picks of the policies an automation uses, fit to write: a TransientError when an image
   * they depend on was never scanned or its last scan failed, or a pick was made under another config
   * or did not finish. Policies without a candidate are left out.
   */
  async picksFor(automation: string): Promise<Map<string, RankedPick>> {
    const names = this.policiesOf(this.automation(automation));
    const policies = this.config.policies.filter((p) => names.includes(policyId(p)));
    const images = [...new Set(policies.map((p) => p.image))];
    const stored = await this.state.get<StoredPick | StoredScan>([...images.map(scanKey), ...policies.map((p) => pickKey(policyId(p)))]);
    for (const image of images) {
      const scan = stored.get(scanKey(image))?.value as StoredScan | undefined;
      if (!scan) throw new TransientError(`automation ${automation}: image ${image} has not been scanned yet`, { code: 'PICKS_NOT_FRESH' });
      if (!scan.ok) {
        throw new TransientError(`automation ${automation}: the last scan of image ${image} failed (${scan.error}); not writing from older picks`, {
          code: 'PICKS_NOT_FRESH',
        });
      }
    }
    const picks = new Map<string, RankedPick>();
    for (const id of policies.map(policyId)) {
      const record = stored.get(pickKey(id))?.value as StoredPick | undefined;
      if (!record || record.policyKey !== this.policyKey(id)) {
        throw new TransientError(`automation ${automation}: policy ${id} has no pick under the current config yet`, { code: 'PICKS_NOT_FRESH' });
      }
      if (record.error !== null) throw new TransientError(`automation ${automation}: policy ${id}: ${record.error}`, { code: 'PICKS_NOT_FRESH' });
      if (record.tag === null) continue;
      const pick: RankedPick = { policy: id, repository: record.repository, tag: record.tag, candidates: record.candidates };
      if (record.promotion) pick.promotion = record.promotion;
      if (record.digest !== null) pick.digest = record.digest;
      picks.set(id, pick);
    }
    return picks;
  }

  /** What this process last picked for the policies an automation uses: for status; writes read picksFor(). */
  shownPicks(automation: string): Map<string, ImagePick> {
    const picks = new Map<string, ImagePick>();
    for (const id of this.policiesOf(this.automation(automation))) {
      const pick = this.policies.get(id)?.pick;
      if (pick) picks.set(id, pick);
    }
    return picks;
  }

  /** Names a policy's config (and its image's repository): a pick is only used under the config it was made with. */
  private policyKey(id: string): string {
    let key = this.policyKeys.get(id);
    if (key === undefined) {
      const config = this.policyConfigs.get(id)!;
      const repository = this.imagesByName.get(config.image)?.repository;
      key = createHash('sha256').update(JSON.stringify([config, repository])).digest('hex').slice(0, 16);
      this.policyKeys.set(id, key);
    }
    return key;
  }

  /** Ids of the policies on `image`. */
  policiesOfImage(image: string): string[] {
    return (this.policiesByImage.get(image) ?? []).map((p) => p.name);
  }

  /** Automations that use the policy with id `policy`. */
  automationsUsing(policy: string): string[] {
    return this.config.automations.filter((a) => this.policiesOf(a).includes(policy)).map((a) => a.name);
  }

  /** Runs an automation with the current picks and records the outcome. */
  async runAutomation(name: string, options: { dryRun?: boolean } = {}): Promise<AutomationResult> {
    const config = this.automation(name);
    const status = this.automations.get(name)!;
    let read: BranchRead | null = null;
    try {
      const picks = await this.picksFor(name);
      const { runAutomation, RECENT_COMMITS } = await gitSide();
      const result = await runAutomation(config, picks, {
        stateDir: this.config.stateDir,
        log: this.log,
        knownPolicies: new Set(this.config.policies.map(policyId)),
        dryRun: options.dryRun,
        env: this.env,
        http: this.gitHttp,
        state: this.state,
        digestOf: (pick, tag) => this.registry.getDigest(pick.repository, tag),
        onRead: (seen) => {
          read = seen;
        },
      });
      Object.assign(status, { lastRun: new Date(), result, error: null, unpushed: null });
      trackFailure(status);
      if (read) status.read = branchAfter(read, result, config.git.branch, RECENT_COMMITS);
      if (result.commit) status.lastCommit = { sha: result.commit, subject: result.subject ?? '', at: new Date() };
      this.metrics?.automationRuns.inc({ automation: name, result: result.changes.length > 0 ? 'changed' : 'unchanged' });
      if (result.commit) this.metrics?.commits.inc({ automation: name });
      if (result.pushAttempts > 1) this.metrics?.pushRetries.inc({ automation: name }, result.pushAttempts - 1);
      if (!options.dryRun) await this.recordRun(name, null, result.commit ? { sha: result.commit, subject: result.subject ?? '', at: Date.now() } : null);
      this.events?.automationRan(name, result);
      return result;
    } catch (err) {
      this.metrics?.automationRuns.inc({ automation: name, result: 'error' });
      Object.assign(status, { lastRun: new Date(), error: errorMessage(err) });
      if (!options.dryRun) await this.recordRun(name, errorMessage(err), null).catch(() => undefined);
      this.events?.automationFailed(name, err);
      trackFailure(status);
      this.recordUnpushed(status, read, errorMessage(err));
      throw err;
    }
  }

  /** Stores an automation's run for every replica: its outcome, its failure streak and its last commit. */
  private async recordRun(automation: string, error: string | null, commit: StoredRun['lastCommit']): Promise<void> {
    const key = runKey(automation);
    const previous = (await this.state.get<StoredRun>([key])).get(key)?.value;
    const at = Date.now();
    const failingSince = error === null ? null : (previous?.failingSince ?? at);
    await this.state.put<StoredRun>(key, { at, ok: error === null, error, failingSince, lastCommit: commit ?? previous?.lastCommit ?? null }, at);
  }

  /** One full pass: every image, then every (or the named) automation. False if anything failed. */
  async reconcile(options: { automation?: string; dryRun?: boolean } = {}): Promise<{ ok: boolean; results: AutomationResult[] }> {
    const automations = options.automation ? [this.automation(options.automation)] : this.config.automations;
    const images = options.automation ? this.imagesWatchedBy(automations) : this.config.images.map((i) => i.name);
    let ok = true;
    await Promise.all(
      images.map(async (image) => {
        if ((await this.scanImage(image, { oneShot: true })).failure) ok = false;
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
   * both know. Picks are not carried: they are in the state store, and the new pipeline's first scan
   * of each image runs every automation using it once against the new config.
   */
  adoptStatus(previous: Pipeline): void {
    for (const [name, status] of previous.images) if (this.images.has(name)) this.images.set(name, status);
    for (const [name, status] of previous.automations) if (this.automations.has(name)) this.automations.set(name, status);
  }

  /**
   * Remembers the tags a push notification named for `image` until a scan finds them listed, in the
   * store every replica reads (SPEC §6: the tag is a hint; the registry must confirm it). A registry
   * may send the notification before it lists the tag, and a scan that ran in between would
   * otherwise leave the push unseen until the next one.
   */
  async awaitTags(image: string, tags: readonly string[], webhook: string): Promise<void> {
    if (tags.length === 0) return;
    const key = awaitedKey(image);
    // The record's version counts its writes, so a put made from a record another writer has
    // replaced since is refused (a compare-and-set), and this one reads again.
    for (let attempt = 0; attempt < AWAIT_PUT_ATTEMPTS; attempt++) {
      const now = Date.now();
      const stored = (await this.state.get<AwaitedTags>([key])).get(key);
      const kept = (stored?.value.tags ?? []).filter((t) => t.until > now && !tags.includes(t.tag));
      const value: AwaitedTags = { tags: [...kept, ...tags.map((tag) => ({ tag, webhook, until: now + this.notifiedTagWaitMs }))] };
      if (await this.state.put(key, value, (stored?.version ?? 0) + 1)) return;
    }
    throw new TransientError(`image ${image}: cannot record the tags webhook ${webhook} named: the state store kept refusing the write`);
  }

  /**
   * Drops from `awaited` the tags the registry now lists (or the image's exclude filters out) and
   * those waited for too long (a warning: the notification named a tag the registry never showed);
   * returns the ones still waited for.
   */
  private async settleAwaitedTags(image: string, awaited: Versioned<AwaitedTags>, tags: readonly string[], excluded: readonly string[]): Promise<AwaitedTag[]> {
    const now = Date.now();
    const listed = new Set([...tags, ...excluded]);
    const waiting = awaited.value.tags.filter((t) => !listed.has(t.tag) && t.until > now);
    for (const t of awaited.value.tags) {
      if (!listed.has(t.tag) && t.until <= now) {
        this.log.warn({ image, tag: t.tag, webhook: t.webhook }, 'a push notification named a tag the registry has not listed since; no longer waiting for it');
      }
    }
    // Refused when a delivery added tags since this scan read the record: the next scan settles these again.
    if (waiting.length < awaited.value.tags.length) await this.state.put<AwaitedTags>(awaitedKey(image), { tags: waiting }, awaited.version + 1);
    return waiting;
  }

  /** Notes a webhook delivery that named `image`, for status. */
  noteWebhook(image: string, webhook: string): void {
    const status = this.images.get(image);
    if (status) status.lastWebhook = { at: new Date(), webhook };
  }

  /** A failed run that had read the branch: what it meant to write stays visible with the reason. */
  private recordUnpushed(status: AutomationStatus, read: BranchRead | null, reason: string): void {
    if (!read) return; // it failed before reading: what it could not write is still the last known
    status.read = { ...read, at: new Date() };
    const { changes } = read;
    status.unpushed = changes.length > 0 ? { changes, reason, since: status.unpushed?.since ?? new Date() } : null;
  }

  private image(name: string): ImageConfig {
    const image = this.imagesByName.get(name);
    if (!image) throw new Error(`no image named ${name}`);
    return image;
  }

  /** Names of the images the automations' policies watch, in config order. */
  private imagesWatchedBy(automations: readonly AutomationConfig[]): string[] {
    const policies = new Set(automations.flatMap((a) => this.policiesOf(a)));
    const images = new Set(this.config.policies.filter((p) => policies.has(policyId(p))).map((p) => p.image));
    return this.config.images.map((i) => i.name).filter((name) => images.has(name));
  }

  /** Ids of the policies an automation applies; its `NAME` / `NS:NAME` entries were checked when the config loaded. */
  private policiesOf(automation: AutomationConfig): string[] {
    const ids = this.config.policies.map(policyId);
    if (!automation.policies) return ids;
    return automation.policies.flatMap((reference) => {
      const resolved = resolvePolicyText(reference, ids);
      return 'id' in resolved ? [resolved.id] : [];
    });
  }

  private automation(name: string): AutomationConfig {
    const automation = this.config.automations.find((a) => a.name === name);
    if (!automation) throw new Error(`no automation named ${name}`);
    return automation;
  }
}

const pickKey = (policy: string): string => `pick/${policy}`;
const awaitedKey = (image: string): string => `awaited/${image}`;

/**
 * How long a tag named by a push notification is waited for: a registry lists it moments after it
 * notifies, so two minutes only ends the wait for a tag deleted again, or never pushed.
 */
export const NOTIFIED_TAG_WAIT_MS = 120_000;
/** Tries at recording a notification's tags when other deliveries keep writing the same record. */
const AWAIT_PUT_ATTEMPTS = 5;

/** A tag a push notification named, waited for until a scan lists it or `until` passes. */
interface AwaitedTag {
  tag: string;
  webhook: string;
  until: number;
}

/** The tags waited for for one image (the store's `awaited/<image>`). */
interface AwaitedTags {
  tags: AwaitedTag[];
}
const scanKey = (image: string): string => `scan/${image}`;
const runKey = (automation: string): string => `run/${automation}`;

function emptyPick(repository: string): StoredPick {
  return { repository, tag: null, digest: null, candidates: [], policyKey: '', error: null };
}

/** Whether two tag lists are the same, in the same order. */
function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Keeps `failingSince` in step with `error`: set when a failure starts, kept while it lasts, cleared on success. */
function trackFailure(status: { error: string | null; failingSince: Date | null }): void {
  status.failingSince = status.error ? (status.failingSince ?? new Date()) : null;
}

/** The branch as the run leaves it: after a push to the checkout branch, its commit and the values it wrote. */
function branchAfter(read: BranchRead, result: AutomationResult, checkoutBranch: string, recentCommits: number): BranchRead & { at: Date } {
  const at = new Date();
  if (!result.commit || result.branch !== checkoutBranch) return { ...read, at };
  const written = new Map(result.changes.map((c) => [`${c.file}:${c.line}`, c.to]));
  return {
    head: result.commit,
    commits: [{ sha: result.commit, subject: result.subject ?? '', at }, ...read.commits].slice(0, recentCommits),
    fields: read.fields.map((f) => ({ ...f, value: written.get(`${f.file}:${f.line}`) ?? f.value })),
    changes: [],
    problems: read.problems,
    at,
  };
}
