// Polls until a condition holds, for effects that arrive asynchronously (a webhook's commit).
import assert from 'node:assert/strict';

/** The first re-check comes this soon; later ones back off to MAX_INTERVAL_MS. */
const FIRST_INTERVAL_MS = 20;
/**
 * Many checks read the git server (a `git` process each) or call a replica's API: polling every
 * 50 ms through a 15 s wait cost ~1 s of CPU per wait. Backing off keeps a quick effect quick and
 * a slow one cheap, at most this much later than it arrived.
 */
const MAX_INTERVAL_MS = 250;

/** Resolves once `check` is true; fails the test naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let interval = FIRST_INTERVAL_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, interval));
    interval = Math.min(interval * 1.5, MAX_INTERVAL_MS);
  }
  assert.fail(`timed out waiting for ${what}`);
}
