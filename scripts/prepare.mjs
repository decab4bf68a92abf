// The `prepare` script, which `npm ci` and `npm install` run in a checkout: compiles src/ to dist/,
// so the README's `npx tagpilot …` works straight after the install. Where there is nothing to
// compile (the Docker deps stage copies only package.json) or no compiler (`npm ci --omit=dev`), it
// does nothing: those installs never run the CLI from the checkout.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tsc = 'node_modules/typescript/bin/tsc';
if (!existsSync('src/main.ts') || !existsSync('tsconfig.build.json') || !existsSync(tsc)) process.exit(0);
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
