// The text `tagpilot import …` prints: the config, headed by where it came from and every note.
import { Document } from 'yaml';
import type { ConfigInput } from './flux-context.js';
import type { ManifestFile } from './kubernetes-objects.js';

/** The config as YAML, with the notes repeated as comments above it. */
export function renderImportedConfig(
  config: ConfigInput,
  { from, command, files, warnings }: { from: string; command: string; files: ReadonlyArray<ManifestFile>; warnings: readonly string[] },
): string {
  const doc = new Document(config);
  const header = [
    ` Converted from ${from} by \`${command}\` (${files.length > 4 ? `${files.length} files` : files.map((f) => f.path).join(', ')}).`,
    ' Review the notes below, then run `tagpilot check`.',
    ...warnings.map((w) => ` - ${w}`),
  ];
  doc.commentBefore = header.join('\n');
  return doc.toString({ lineWidth: 0 });
}
