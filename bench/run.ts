// `npm run bench`: runs every bench/*.bench.ts (or those named) and prints one table.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './bench-result.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const rows: BenchResult[] = [];
for (const file of files) {
  process.stderr.write(`running ${file}\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run: Benchmark };
  rows.push(...(await mod.run()));
}

const table = [
  ['benchmark', 'figure', 'baseline', 'ratio', 'aim'],
  ...rows.map((r) => [
    r.name,
    `${fmt(r.figure)} ${r.unit}`,
    `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
    r.baseline > 0 ? `${(r.figure / r.baseline).toFixed(2)}x` : 'n/a',
    r.aim ?? '',
  ]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}
