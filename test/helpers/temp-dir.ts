// Temporary folders for peers' data; removed on stop and, as a fallback, when the test process exits.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';
import { removeIfOrphaned } from './orphan-watchdog.js';

const forgetters = new Map<string, () => void>();

/**
 * Creates a fresh folder under the OS temp dir, named `tagpilot-<prefix>-XXXXXX`. A test that never
 * reaches its cleanup still gets it removed at process exit, so many runs do not fill /tmp.
 */
export async function makeTempDir(prefix = 'test'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tagpilot-${prefix}-`));
  const forgetAtExit = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const forgetIfOrphaned = removeIfOrphaned(dir);
  forgetters.set(dir, () => {
    forgetAtExit();
    forgetIfOrphaned();
  });
  return dir;
}

/** Removes a folder made here (or any folder); a missing folder is fine so stop() can run twice. */
export async function removeTempDir(dir: string): Promise<void> {
  forgetters.get(dir)?.();
  forgetters.delete(dir);
  // Retries cover a child that is still closing files in the folder as we remove it.
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}
