/**
 * Label selector matching (apimachinery metav1.LabelSelectorAsSelector semantics: matchLabels AND
 * every matchExpression; an empty selector matches everything, a missing one nothing).
 */
import type { LabelSelector } from '@keelson/api';

/** A compiled selector. */
export type Matcher = (labels: Record<string, string> | undefined) => boolean;

/** Compiles a metav1.LabelSelector. `undefined`/`null` matches nothing, `{}` everything. */
export function selectorMatcher(sel: LabelSelector | undefined | null): Matcher {
  if (!sel) return () => false;
  const ml = Object.entries(sel.matchLabels ?? {});
  const ex = sel.matchExpressions ?? [];
  return (labels) => {
    const l = labels ?? {};
    for (const [k, v] of ml) if (l[k] !== v) return false;
    for (const e of ex) {
      const has = Object.prototype.hasOwnProperty.call(l, e.key);
      const vals = e.values ?? [];
      switch (e.operator) {
        case 'In':
          if (!has || !vals.includes(l[e.key]!)) return false;
          break;
        case 'NotIn':
          if (has && vals.includes(l[e.key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  };
}

/** True when the selector selects everything (no matchLabels, no matchExpressions). */
export function selectorIsEmpty(sel: LabelSelector | undefined | null): boolean {
  return (
    !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0
  );
}

/** Map-form selector (Service.spec.selector): every key must match; empty map matches nothing here. */
export function mapSelectorMatches(
  sel: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel || Object.keys(sel).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(sel).every(([k, v]) => l[k] === v);
}

/** Renders a LabelSelector in the string form used by ListOptions.labelSelector. */
export function selectorString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
