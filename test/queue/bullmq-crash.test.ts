// Crash recovery with real processes: a replica is SIGKILLed in the middle of a write job, and the
// job must run again on the replica that starts next, to completion, exactly once (SPEC §7).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as wait } from 'node:timers/promises';
import { BullmqQueue } from '../../src/queue/bullmq-queue.js';
import { compiledScript } from '../helpers/compiled-script.js';
import { trackChild } from '../helpers/exit-cleanup.js';
import { killIfOrphaned } from '../helpers/orphan-watchdog.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/** Lock duration and stalled-check interval: a dead replica's job moves on within about two of these. */
const STALLED_MS = 500;
const REPLICA_SCRIPT = compiledScript(fileURLToPath(new URL('./bullmq-crash-replica.ts', import.meta.url)));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A replica in its own process, and what it has printed. */
interface ChildReplica {
  child: ChildProcess;
  /** Resolves when the replica has printed `line`; rejects if it exits first or time runs out. */
  printed(line: string, timeoutMs?: number): Promise<void>;
  output(): string;
}

function startChildReplica(redisUrl: string, prefix: string): ChildReplica {
  const child = spawn(process.execPath, [...REPLICA_SCRIPT.execArgv, REPLICA_SCRIPT.file, redisUrl, prefix, String(STALLED_MS)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  if (child.pid !== undefined) child.once('exit', killIfOrphaned(child.pid));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const printed = async (line: string, timeoutMs = 15_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!output.split('\n').includes(line)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`replica exited before printing "${line}":\n${output}`);
      if (Date.now() > deadline) throw new Error(`replica did not print "${line}" within ${timeoutMs} ms:\n${output}`);
      await wait(20);
    }
  };
  return { child, printed, output: () => output };
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Polls until `check` holds; fails with `message` after `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    assert.ok(Date.now() < deadline, message);
    await wait(20);
  }
}

describe('BullmqQueue after a replica is killed mid-job', () => {
  let redis: RedisServer;
  let prefixes = 0;
  const children: ChildProcess[] = [];
  const queues: BullmqQueue[] = [];

  before(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map(kill9));
    await Promise.all(queues.splice(0).map((q) => q.close()));
  });
  after(async () => {
    await redis?.stop();
  });

  /** A replica in this process; with no handlers it only adds jobs, like a webhook front end. */
  function replica(prefix: string): BullmqQueue {
    const q = new BullmqQueue({ redisUrl: redis.url, prefix, stalledIntervalMs: STALLED_MS });
    queues.push(q);
    return q;
  }

  /** Starts a child replica, queues `write fleet` and kills the child once its handler runs. */
  async function crashMidJob(prefix: string, beforeKill: () => Promise<void> = async () => {}): Promise<void> {
    const crashing = startChildReplica(redis.url, prefix);
    children.push(crashing.child);
    await crashing.printed('ready');
    await replica(prefix).add('write', 'fleet');
    await crashing.printed('started fleet');
    await beforeKill();
    await kill9(crashing.child);
  }

  it('runs the job again on the next replica, to completion, exactly once', async () => {
    const prefix = `crash-${++prefixes}`;
    await crashMidJob(prefix);

    const commits: string[] = [];
    let running = 0;
    let overlapped = false;
    const restarted = replica(prefix);
    await restarted.start({
      scan: async () => {},
      write: async (key) => {
        overlapped ||= running > 0;
        running++;
        await wait(20);
        commits.push(key);
        running--;
      },
    });
    await eventually(() => commits.length > 0, 10_000, 'the killed job did not run again');
    await restarted.idle();
    // Long enough for a wrong second hand-over of the same job to show.
    await wait(STALLED_MS * 4);
    assert.deepEqual(commits, ['fleet'], 'committed exactly once');
    assert.equal(overlapped, false);
    assert.equal(await restarted.depth(), 0);
  });

  it('keeps a request made during the killed run, and runs it after the recovered one', async () => {
    const prefix = `crash-${++prefixes}`;
    // A new tag arrives while the doomed replica is busy: it is parked in Redis, not in that process.
    await crashMidJob(prefix, () => replica(prefix).add('write', 'fleet'));

    const commits: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const restarted = replica(prefix);
    await restarted.start({
      scan: async () => {},
      write: async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await wait(20);
        commits.push(key);
        running--;
      },
    });
    await eventually(() => commits.length >= 2, 10_000, `expected the recovered run and the parked one, got ${commits.length}`);
    await restarted.idle();
    await wait(STALLED_MS * 4);
    assert.deepEqual(commits, ['fleet', 'fleet']);
    assert.equal(maxRunning, 1);
  });
});
