// `npm run build`: src/main.ts → dist/, the files `npm pack` ships and the container runs.
//
// One esbuild bundle, so that what users run is what this checkout tested:
// - isomorphic-git is bundled from node_modules, where patch-package has patched it (patches/); an
//   installed package would otherwise load an unpatched copy, because nothing patches its dependencies.
// - package.json `dependencies` stay external (installed beside the package, loaded from
//   node_modules): only what cannot or need not be bundled belongs there (bullmq and ioredis, which
//   load native msgpackr-extract and Lua scripts, and only `serve` with Redis needs them). Everything
//   else the code imports is a devDependency and ends up in dist/.
// - `splitting` keeps every dynamic import() a separate chunk, so a command loads only what it uses
//   (the command table in src/cli.ts).
// - Linked source maps, enabled by src/main.ts, so stack traces name src/ files and lines.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const OUT_DIR = 'dist';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * zod re-exports its 40-odd message locales (360 KB, a quarter of `tagpilot check`'s start-up) as
 * `z.locales`; tagpilot reports in English, so `z.locales` holds only `en`.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(importer) ? { path: join(dirname(importer), '../locales'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, ({ path }) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: path,
    }));
  },
};

/** Builds dist/ (or `outdir`); resolves to esbuild's metafile (inputs and outputs). */
export async function buildDist(outdir = OUT_DIR) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: ['src/main.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: Object.keys(pkg.dependencies ?? {}),
    // Bundled CommonJS packages call require() for Node's built-ins; an ES module has none of its own.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    plugins: [zodEnglishOnly],
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (import.meta.url === `file://${process.argv[1]}`) await buildDist(process.argv[2]);
