// Fails when package-lock.json misses an optional dependency's entry, which makes `npm ci` refuse to
// install. The registry mirror here serves no darwin/win32 builds of msgpackr-extract, so
// `npm install` leaves them out; their entries were added by hand (they are never fetched on Linux).
import { readFileSync } from 'node:fs';

const { packages } = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const missing = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
    if (!packages[nested] && !packages[`node_modules/${name}`]) missing.push(`${name} (optional dependency of ${path || 'the project'})`);
  }
}
if (missing.length > 0) {
  console.error(`package-lock.json lacks entries that npm ci requires:\n  ${missing.join('\n  ')}`);
  console.error('Add them as { version, os, cpu, optional: true } entries (see scripts/check-lockfile.mjs).');
  process.exit(1);
}
