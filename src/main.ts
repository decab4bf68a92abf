#!/usr/bin/env node
// The `tagpilot` executable (the bundle's entry: scripts/build.mjs). It turns on, before anything
// else loads, what the runtime offers a short-lived CLI:
// - the module compile cache (Node ≥ 22.1): V8's compiled code kept in the OS temp folder, so a
//   second run skips parsing and compiling the bundle — most of a short command's start-up;
// - source maps (dist/*.js.map), so stack traces name src/ files and lines.
import nodeModule from 'node:module';

// Optional: Node 20 (this repository's older machines) has no compile cache.
(nodeModule.enableCompileCache as typeof nodeModule.enableCompileCache | undefined)?.();
process.setSourceMapsEnabled(true);
const { runCli } = await import('./cli.js');
process.exitCode = await runCli(process.argv.slice(2));
