// The running tagpilot's version, from the package.json beside src/ (or dist/), read once.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** `0.1.0`, or `unknown` when package.json cannot be read (a copied-out bundle). */
export function tagpilotVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
