// The IO shell of `tagpilot import`: files as given, folders walked for *.yaml / *.yml, so a
// fleet repository's `clusters/production` can be imported in one go.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { ManifestFile } from './kubernetes-objects.js';

/** The text of every manifest under `paths`, in a stable order; `-` reads standard input. */
export function readManifestFiles(paths: readonly string[], stdin: () => string = () => readFileSync(0, 'utf8')): ManifestFile[] {
  if (paths.length === 0) throw new InputError('expected one or more files or folders of Kubernetes objects (or - for standard input)');
  return paths.flatMap((path) => (path === '-' ? [{ path: '(stdin)', text: stdin() }] : collect(path)));
}

function collect(path: string): ManifestFile[] {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (!stat.isDirectory()) return [{ path, text: readFileSync(path, 'utf8') }];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return collect(child);
      return entry.isFile() && /\.ya?ml$/.test(entry.name) ? collect(child) : [];
    });
}
