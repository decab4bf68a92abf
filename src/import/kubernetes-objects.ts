// Kubernetes objects out of YAML files: several documents per file, `kind: List` (what
// `kubectl get -o yaml` prints) flattened, each object tagged with the file and line it came from.
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import * as z from '../zod.js';

/** A file given to an importer: its name (for messages) and its text. */
export interface ManifestFile {
  path: string;
  text: string;
}

/** The envelope every Kubernetes object has; the spec is checked by whoever reads the kind. */
const ObjectEnvelope = z.object({
  apiVersion: z.string().check(z.minLength(1)),
  kind: z.string().check(z.minLength(1)),
  metadata: z.object({
    name: z.string().check(z.minLength(1)),
    namespace: z.optional(z.string().check(z.minLength(1))),
    // Coerced: an unquoted `version: 1` label is a number to YAML, and should not hide the object.
    labels: z.optional(z.record(z.string(), z.coerce.string())),
    annotations: z.optional(z.record(z.string(), z.coerce.string())),
  }),
  spec: z.optional(z.unknown()),
});

/** One object, with `source` (`file:line`) to name it in messages. */
export type KubernetesObject = z.output<typeof ObjectEnvelope> & { source: string };

/** Every object in the files; documents that are not Kubernetes objects are ignored, YAML errors reported. */
export function readKubernetesObjects(files: readonly ManifestFile[]): { objects: KubernetesObject[]; warnings: string[] } {
  const objects: KubernetesObject[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    const lines = new LineCounter();
    for (const doc of parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false })) {
      const at = (node: Node | null | undefined) => `${file.path}:${lines.linePos(node?.range?.[0] ?? 0).line}`;
      if (doc.errors.length > 0) {
        const error = doc.errors[0]!;
        const line = error.linePos?.[0]?.line ?? lines.linePos(doc.range[0]).line;
        warnings.push(`${file.path}:${line}: skipped a document that is not valid YAML: ${error.message.split('\n')[0]}`);
        continue;
      }
      const contents = doc.contents;
      if (!isMap(contents)) continue;
      const items = contents.get('items', true);
      const isList = String(contents.get('kind') ?? '').endsWith('List') && isSeq(items);
      const nodes: Node[] = isList ? (items.items as Node[]) : [contents];
      for (const node of nodes) {
        const parsed = ObjectEnvelope.safeParse(node.toJSON());
        if (parsed.success) objects.push({ ...parsed.data, source: at(node) });
      }
    }
  }
  return { objects, warnings };
}
