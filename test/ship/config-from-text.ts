// Runs config text through the real loader (what `tagpilot check` does), from a temporary file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config.js';

/** Loads `text` as a config file named `name`; rejects with the loader's ConfigError when invalid. */
export async function configFromText(text: string, env: NodeJS.ProcessEnv = {}, name = 'tagpilot.yaml'): Promise<LoadedConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'tagpilot-ship-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return await loadConfig(path, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
