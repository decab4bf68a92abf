// Flux's spec.git.commit.messageTemplate is a Go text/template over TemplateData (AutomationObject,
// Changed, Values; v1beta1's Updated). tagpilot's commitMessage is Handlebars over `automation`,
// `changes[]` and `images[]`. The common templates convert; anything else is reported, never guessed.
// Flux's data: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template

/** What a template may name besides the changes: the automation object and messageTemplateValues. */
export interface GoTemplateContext {
  name: string;
  namespace: string | undefined;
  values: Readonly<Record<string, string>>;
}

/** The Handlebars template, with notes on what reads differently; or why there is none. */
export type ConvertedTemplate = { template: string; notes: string[] } | { problem: string };

const ACTION = /\{\{(-\s)?\s*([\s\S]*?)\s*(\s-)?\}\}/g;

/** An open `range`: what closes it, what it ranges over, and the variable (`$change`) bound to each element. */
interface Scope {
  close: string;
  element: 'change' | 'image';
  variable: string | null;
}

// Inside `range .Changed.Changes`, what each field of a Flux Change becomes.
const CHANGE_FIELDS: Record<string, string> = { OldValue: '{{from}}', NewValue: '{{to}}' };

/** Converts a Flux messageTemplate; literal text and whitespace trimming (`{{-`, `-}}`) as Go does. */
export function convertGoCommitTemplate(source: string, context: GoTemplateContext): ConvertedTemplate {
  const notes = new Set<string>();
  const scopes: Scope[] = [];
  const parts: string[] = [];
  let at = 0;
  let trimNext = false;
  for (const match of source.matchAll(ACTION)) {
    let text = source.slice(at, match.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (match[1]) text = text.replace(/\s+$/, '');
    parts.push(escapeText(text));
    at = match.index + match[0].length;
    trimNext = Boolean(match[3]);
    const action = match[2]!.trim();
    const converted = convertAction(action, scopes, context, notes);
    if (converted === null) return { problem: `{{ ${action} }} has no tagpilot equivalent` };
    parts.push(converted);
  }
  let rest = source.slice(at);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  parts.push(escapeText(rest));
  if (scopes.length > 0) return { problem: 'a {{ range }} has no {{ end }}' };
  return { template: parts.join(''), notes: [...notes] };
}

function convertAction(action: string, scopes: Scope[], context: GoTemplateContext, notes: Set<string>): string | null {
  if (action.startsWith('/*')) return '';
  const scope = scopes[scopes.length - 1];
  if (action === 'end') {
    const closed = scopes.pop();
    return closed ? closed.close : null;
  }
  const range = /^range\s+(?:(\$\w+)\s*,\s*)?(?:(\$\w+)\s*:=\s*)?(\S+)$/.exec(action);
  if (range) {
    // `range $i, $v := X` and `range $v := X` both bind the element to the variable before `:=`.
    const [, , variable = null, over] = range;
    if (over === '.Changed.Changes') {
      scopes.push({ close: '{{/each}}', element: 'change', variable });
      notes.add('.OldValue and .NewValue became {{from}} and {{to}}, which are tags (Flux prints the whole marked value, such as repository:tag)');
      return '{{#each changes}}';
    }
    if (over === '.Updated.Images') {
      scopes.push({ close: '{{/each}}', element: 'image', variable });
      return '{{#each images}}';
    }
    return null;
  }
  const printed = /^(print|println)\s+(.+)$/.exec(action);
  if (printed) {
    const value = valueOf(printed[2]!.trim(), scope, context);
    return value === null ? null : value + (printed[1] === 'println' ? '\n' : '');
  }
  return valueOf(action, scope, context);
}

/** The Handlebars (or literal) spelling of one pipeline-free value. */
function valueOf(expression: string, scope: Scope | undefined, context: GoTemplateContext): string | null {
  const qualified = context.namespace ? `${context.namespace}/${context.name}` : context.name;
  // The automation object is fixed per automation, so Flux's own rendering is written out literally.
  if (expression === '.AutomationObject') return escapeText(qualified);
  if (expression === '.AutomationObject.Name') return escapeText(context.name);
  if (expression === '.AutomationObject.Namespace') return escapeText(context.namespace ?? '');
  const value = /^\.Values\.(\w+)$/.exec(expression);
  if (value) {
    const given = context.values[value[1]!];
    return given === undefined ? null : escapeText(given);
  }
  if (!scope) return null;
  const field = scope.variable && expression.startsWith(`${scope.variable}.`) ? expression.slice(scope.variable.length) : expression;
  if (scope.element === 'image') return field === '.' || field === scope.variable ? '{{repository}}:{{tag}}' : null;
  const change = /^\.(\w+)$/.exec(field);
  return change ? (CHANGE_FIELDS[change[1]!] ?? null) : null;
}

/** Literal text for Handlebars: a `{{` in it must not open an expression. */
function escapeText(text: string): string {
  return text.replace(/\{\{/g, '\\{{');
}
