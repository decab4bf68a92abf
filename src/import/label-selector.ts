// Kubernetes label selectors, as ImageUpdateAutomation's policySelector uses them.
import type { LabelSelector } from './flux-objects.js';

/** True when the labels satisfy every matchLabels entry and every matchExpression (empty selects all). */
export function matchesSelector(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> = {}): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'Exists' ? has
      : operator === 'DoesNotExist' ? !has
      : operator === 'In' ? has && values.includes(labels[key]!)
      : !has || !values.includes(labels[key]!);
    if (!ok) return false;
  }
  return true;
}
