// A promotion becomes due on time without a new registry push (SPEC §2): after a scan, the image is
// scanned again when the first tag still soaking for one of its promotion policies is due. The
// scan re-reads the source's history, so a revert meanwhile still counts.
import type { Pipeline } from '../automation/pipeline.js';

/** setTimeout's longest delay; a later due time is re-armed by the scan this one fires. */
const MAX_DELAY_MS = 2_147_483_647;
/** Fire a little after the due time: the soak is measured from a commit time in whole seconds. */
const MARGIN_MS = 1_000;

/** One timer per image, re-armed after each of its scans. */
export class PromotionTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly fire: (image: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms `image`'s timer for the earliest of `due` (ms since the epoch), or clears it when there is none. */
  arm(image: string, due: readonly number[]): void {
    clearTimeout(this.timers.get(image));
    this.timers.delete(image);
    if (due.length === 0) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, Math.min(...due) - this.now()) + MARGIN_MS);
    const timer = setTimeout(() => {
      this.timers.delete(image);
      this.fire(image);
    }, delay);
    // A pending promotion never keeps a stopping process alive.
    timer.unref();
    this.timers.set(image, timer);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** When the promotions waiting on `image`'s policies are due, from the pipeline's last evaluation. */
export function promotionDueTimes(pipeline: Pipeline, image: string): number[] {
  // Only promotion policies have `promotion` in their status. Looked up by image, not by a pass over
  // every policy: serve asks after each scan, and 1,000 images made that quadratic.
  return pipeline.policiesOfImage(image).flatMap((id) => {
    const due = pipeline.policies.get(id)?.promotion?.nextDue;
    return due ? [Date.parse(due)] : [];
  });
}
