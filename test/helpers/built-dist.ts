// The bundle (`npm run build`'s dist/) for tests that run the shipped program. scripts/run-tests.mjs
// builds it once per suite run and names it in TAGPILOT_TEST_DIST; a test file run on its own
// builds a private copy (esbuild takes well under a second).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './temp-dir.js';

let built: Promise<string> | undefined;

/** A folder holding main.js and its chunks, built from the current src/. */
export function builtDist(): Promise<string> {
  built ??= (async () => {
    const shared = process.env.TAGPILOT_TEST_DIST;
    if (shared && existsSync(join(shared, 'main.js'))) return shared;
    const dir = join(await makeTempDir('dist'), 'dist');
    const build = spawnSync(process.execPath, ['scripts/build.mjs', dir], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`scripts/build.mjs failed:\n${build.stdout}${build.stderr}`);
    return dir;
  })();
  return built;
}

/** The built entry point, dist/main.js: what `node_modules/.bin/tagpilot` and the container run. */
export async function builtMain(): Promise<string> {
  return join(await builtDist(), 'main.js');
}
