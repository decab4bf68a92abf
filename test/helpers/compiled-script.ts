// Runs one of this checkout's TypeScript files in a child node without a TypeScript loader:
// scripts/run-tests.mjs has compiled every .ts into a mirror of the tree and names it in
// TAGPILOT_TEST_COMPILED, so a child runs (or imports) the compiled copy, as the tests themselves
// do. Starting tsx in a child cost ~0.5 s of CPU each time. A test file run some other way (no
// mirror named) falls back to tsx.
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How a child node runs or imports a .ts file of this checkout: node options to add, and the file to name. */
export interface CompiledScript {
  /** Options for the child node before the script (`--import tsx` without a compiled mirror). */
  execArgv: string[];
  /** The file to run, compiled (.js) when the mirror exists. */
  file: string;
  /** `file` as a URL, for an `import()` in an `-e` script. */
  url: string;
}

/** The compiled copy of `tsFile` (absolute, or relative to the checkout) when the runner made one. */
export function compiledScript(tsFile: string): CompiledScript {
  const source = resolve(ROOT, tsFile);
  const mirror = process.env.TAGPILOT_TEST_COMPILED;
  const file = mirror ? join(mirror, relative(ROOT, source)).replace(/\.ts$/, '.js') : source;
  return { execArgv: mirror ? [] : ['--import', 'tsx'], file, url: pathToFileURL(file).href };
}
