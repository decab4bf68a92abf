// Bearer tokens per registry host and scope (and cloud credentials per provider and host), reused
// until shortly before they expire.

/** A token as the realm (or a cloud's token service) gave it. */
export interface IssuedToken<T = string> {
  token: T;
  lifetimeSeconds: number;
}

// Renew this long before expiry so a token never lapses between our check and the registry's.
const RENEW_EARLY_MS = 10_000;

/** Caches tokens by key; concurrent requests for one key share a single realm request. */
export class TokenCache<T = string> {
  private readonly entries = new Map<string, { token: T; renewAt: number }>();
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly renewEarlyMs: number = RENEW_EARLY_MS,
  ) {}

  /** The cached token for `key` while it is fresh, else the one `issue` brings. */
  async get(key: string, issue: () => Promise<IssuedToken<T>>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry && entry.renewAt > this.now()) return entry.token;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = issue()
        .then(({ token, lifetimeSeconds }) => {
          const lifetimeMs = lifetimeSeconds * 1000;
          // Short-lived tokens (tests, some realms) renew at half-life rather than never being reused.
          this.entries.set(key, { token, renewAt: this.now() + lifetimeMs - Math.min(this.renewEarlyMs, lifetimeMs / 2) });
          return token;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /** Drops `token` for `key` after the registry refused it, unless another request already replaced it. */
  invalidate(key: string, token: T): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }
}
