import { parseDocument, isScalar } from 'yaml';
import type { CST } from 'yaml';

// Kubernetes reads manifests with a YAML 1.1 parser (sigs.k8s.io/yaml), where `yes`, `on`, `1_000`
// and `1:20` are not strings either, so a plain value must read as a string under both versions.
const VERSIONS = ['1.1', '1.2'] as const;
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;

/** The source text for `value` in place of a scalar of this style; a plain scalar is quoted only when it must be. */
export function renderScalar(style: Exclude<CST.FlowScalar['type'], 'alias'>, value: string, inFlow: boolean): string {
  if (style === 'single-quoted-scalar' && !hasControl(value)) return `'${value.replaceAll("'", "''")}'`;
  if (style === 'scalar' && isPlainSafe(value, inFlow)) return value;
  // JSON string escapes are a subset of YAML's double-quoted escapes.
  return JSON.stringify(value);
}

function isPlainSafe(value: string, inFlow: boolean): boolean {
  if (value === '' || hasControl(value) || INDICATOR_START.test(value) || /\s$/.test(value)) return false;
  if (value.includes(': ') || value.includes(' #') || value.endsWith(':')) return false;
  if (inFlow && /[,[\]{}]/.test(value)) return false;
  return readsAsString(value);
}

/** readsAsString's answers so far, oldest first: every file a pick changes renders the same value. */
const readAsString = new Map<string, boolean>();
const READ_AS_STRING_KEPT = 256;

/** Whether `value` written plain reads back as that string under every version: two parses, asked once per value. */
function readsAsString(value: string): boolean {
  let reads = readAsString.get(value);
  if (reads === undefined) {
    reads = VERSIONS.every((version) => {
      const contents = parseDocument(value, { version }).contents;
      return isScalar(contents) && contents.value === value;
    });
    if (readAsString.size >= READ_AS_STRING_KEPT) readAsString.delete(readAsString.keys().next().value!);
    readAsString.set(value, reads);
  }
  return reads;
}

/** Characters a YAML plain or single-quoted scalar cannot hold as written (C0, DEL, C1, line separators, BOM). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || code === 0xfeff) return true;
  }
  return false;
}
