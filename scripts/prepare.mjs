// The second half of `prepare` (after patch-package), which `npm ci` and `npm install` run in a
// checkout: builds the bundle into dist/, so the README's `npx tagpilot …` works straight after the
// install. Where there is nothing to build (the Docker deps stage copies only package.json and
// patches/) or no bundler (`npm ci --omit=dev`), it does nothing: those installs never run the CLI
// from the checkout.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('src/main.ts') || !existsSync('scripts/build.mjs') || !existsSync('node_modules/esbuild')) process.exit(0);
const result = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
