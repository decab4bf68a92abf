// Held-back tags outlive the scanned history: on a busy branch the revert scrolls out of the last
// REVERT_WINDOW commits long before a newer tag may appear, and writing the reverted tag again then
// would undo a person's decision. So every hold found is remembered in stateDir until its revert is
// itself reverted. Losing the file only shortens the memory to what the history window shows.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HeldBackTag } from './held-back-tags.js';

const FORMAT = 1;

/** The holds remembered for `remote` in `file`; none when it is missing, damaged or about another remote. */
export async function loadRememberedHolds(file: string, remote: string): Promise<HeldBackTag[]> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { format?: unknown; remote?: unknown; holds?: unknown };
    if (stored.format !== FORMAT || stored.remote !== remote || !Array.isArray(stored.holds)) return [];
    return stored.holds.filter(isHold);
  } catch {
    return [];
  }
}

/** Writes the holds (atomically) when they differ from what `file` has. */
export async function saveRememberedHolds(file: string, remote: string, holds: readonly HeldBackTag[], before: readonly HeldBackTag[]): Promise<void> {
  const key = (list: readonly HeldBackTag[]) => JSON.stringify(list.map(holdKey).sort());
  if (key(holds) === key(before)) return;
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, JSON.stringify({ format: FORMAT, remote, holds }, null, 1));
  await rename(temp, file);
}

/** One hold per policy, tag and reverted commit. */
export function holdKey(hold: HeldBackTag): string {
  return `${hold.policy}\0${hold.tag}\0${hold.commit}`;
}

function isHold(value: unknown): value is HeldBackTag {
  const h = value as Record<string, unknown> | null;
  return !!h && ['policy', 'repository', 'tag', 'commit', 'revertedBy'].every((k) => typeof h[k] === 'string');
}
