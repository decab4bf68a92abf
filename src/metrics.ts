// Prometheus metrics (GET /metrics). One registry per service so tests and reloads start clean.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics tagpilot keeps; names are part of the operations docs. */
export class Metrics {
  readonly registry = new Registry();
  /** Where the queue-depth gauge reads from when scraped; set once the queue exists. */
  queueDepthSource: (() => Promise<number>) | null = null;
  readonly scans = new Counter({
    name: 'tagpilot_scans_total',
    help: 'Registry scans by image and result (ok, error).',
    labelNames: ['image', 'result'] as const,
    registers: [this.registry],
  });
  readonly scanDuration = new Histogram({
    name: 'tagpilot_scan_duration_seconds',
    help: 'Time to list an image repository\'s tags.',
    labelNames: ['image'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly tagsSeen = new Gauge({
    name: 'tagpilot_tags_seen',
    help: 'Tags listed in the last scan of an image, after exclusions.',
    labelNames: ['image'] as const,
    registers: [this.registry],
  });
  readonly picksChanged = new Counter({
    name: 'tagpilot_picks_changed_total',
    help: 'Times a policy\'s pick changed.',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'tagpilot_commits_total',
    help: 'Commits pushed by automation.',
    labelNames: ['automation'] as const,
    registers: [this.registry],
  });
  readonly automationRuns = new Counter({
    name: 'tagpilot_automation_runs_total',
    help: 'Automation runs by result (changed, unchanged, error).',
    labelNames: ['automation', 'result'] as const,
    registers: [this.registry],
  });
  readonly pushRetries = new Counter({
    name: 'tagpilot_push_retries_total',
    help: 'Pushes rejected because the branch moved, then retried on the new head.',
    labelNames: ['automation'] as const,
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'tagpilot_webhooks_total',
    help: 'Webhook requests by receiver and HTTP status.',
    labelNames: ['webhook', 'status'] as const,
    registers: [this.registry],
  });
  readonly signatureChecks = new Counter({
    name: 'tagpilot_signature_checks_total',
    help: 'Cosign signature checks of candidate digests by policy and result (verified, unsigned, invalid).',
    labelNames: ['policy', 'result'] as const,
    registers: [this.registry],
  });
  readonly notifications = new Counter({
    name: 'tagpilot_notifications_total',
    help: 'Notification deliveries by target, event and result (delivered, retried, failed, dropped).',
    labelNames: ['notification', 'event', 'result'] as const,
    registers: [this.registry],
  });
  readonly queueDepth: Gauge = new Gauge({
    name: 'tagpilot_queue_depth',
    help: 'Jobs waiting or running.',
    registers: [this.registry],
    collect: async () => {
      if (this.queueDepthSource) this.queueDepth.set(await this.queueDepthSource());
    },
  });
}
