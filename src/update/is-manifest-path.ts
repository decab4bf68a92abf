// kyaml (and so Flux) reads `*.yaml`, `*.yml` and `Kustomization`, matching names case-sensitively.

/** Whether a file at this path is one tagpilot reads and may edit. */
export function isManifestPath(path: string): boolean {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  return name === 'Kustomization' || (name.length > 5 && name.endsWith('.yaml')) || (name.length > 4 && name.endsWith('.yml'));
}
