// The state store every replica shares: one Redis string per key holding `{version, value}`, the
// version check and the write done by one Lua script so replicas cannot interleave them. Commands
// are not queued while Redis is unreachable: they fail at once as transient, so a write job that
// cannot read the picks fails and is retried instead of waiting or using a local view.
import { Redis } from 'ioredis';
import { TransientError } from '../errors.js';
import { settlesWithin } from '../settles-within.js';
import type { StateStore, Versioned } from './state-store.js';

const PUT_IF_NEWER = `
local stored = redis.call('GET', KEYS[1])
if stored then
  local ok, decoded = pcall(cjson.decode, stored)
  if ok and type(decoded) == 'table' and tonumber(decoded.version) and tonumber(decoded.version) >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

/** A StateStore in Redis under `<prefix>:state:`. */
export class RedisStateStore implements StateStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redisUrl: string, prefix = 'tagpilot') {
    this.prefix = `${prefix}:state:`;
    // Built before it is assigned: `new Redis(…)` checked against the field's type costs tsc ~1.5 s
    // (ioredis's thousand overloaded commands compared one by one), the same client in a const ~0.
    const redis = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(200 * attempt, 2_000),
      lazyConnect: false,
    });
    this.redis = redis;
    // Connection trouble shows where it matters: in the command that failed.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('putIfNewer', { numberOfKeys: 1, lua: PUT_IF_NEWER });
  }

  async get<T>(keys: readonly string[]): Promise<Map<string, Versioned<T>>> {
    const found = new Map<string, Versioned<T>>();
    if (keys.length === 0) return found;
    const values = await this.command('read', () => this.redis.mget(...keys.map((k) => this.prefix + k)));
    keys.forEach((key, i) => {
      const parsed = parse<T>(values[i] ?? null);
      if (parsed) found.set(key, parsed);
    });
    return found;
  }

  async put<T>(key: string, value: T, version: number): Promise<boolean> {
    const body = JSON.stringify({ version, value });
    const stored = await this.command('write', () =>
      (this.redis as Redis & { putIfNewer(key: string, body: string, version: number): Promise<number> }).putIfNewer(this.prefix + key, body, version),
    );
    return stored === 1;
  }

  /** Ends the connection; a Redis that is down is not waited for (and no longer reconnected to). */
  async close(): Promise<void> {
    if (this.redis.status === 'ready') await settlesWithin(this.redis.quit(), CONNECT_WAIT_MS);
    this.redis.disconnect();
  }

  /** Waits (briefly) for a connection on its way up; the command then fails or runs. */
  private async connected(): Promise<void> {
    if (this.redis.status === 'ready' || this.redis.status === 'end') return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CONNECT_WAIT_MS);
      this.redis.once('ready', resolve);
    });
    clearTimeout(timer);
  }

  private async command<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      await this.connected();
      return await work();
    } catch (err) {
      throw new TransientError(`shared state in Redis: cannot ${what}: ${(err as Error).message}`, { cause: err, code: 'STATE_UNAVAILABLE' });
    }
  }
}

/** How long a command waits for a connection being made before it fails: a blip, not an outage. */
const CONNECT_WAIT_MS = 2_000;

function parse<T>(text: string | null): Versioned<T> | undefined {
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Versioned<T>>;
    return typeof parsed.version === 'number' && 'value' in parsed ? (parsed as Versioned<T>) : undefined;
  } catch {
    return undefined;
  }
}
