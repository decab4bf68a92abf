// One writer per clone inside this process: two runs of one automation (a webhook and the safety-net
// interval, or `plan` next to a run in the same server) must not fetch into the same gitdir at once.
// Across processes the queue's one-writer-per-automation rule is what keeps them apart.

const tails = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier call for the same gitdir has settled. */
export async function withGitdirLock<T>(gitdir: string, work: () => Promise<T>): Promise<T> {
  const before = tails.get(gitdir) ?? Promise.resolve();
  const run = before.then(work, work);
  const tail = run.catch(() => undefined);
  tails.set(gitdir, tail);
  try {
    return await run;
  } finally {
    if (tails.get(gitdir) === tail) tails.delete(gitdir);
  }
}
