/**
 * Small validation helpers shared by the per-group validators of the kinds added beside
 * validate.ts (rbac, policy, networking, ...): label selectors (metav1validation
 * ValidateLabelSelector), positive int-or-percent values and path segment names
 * (apimachinery path.ValidatePathSegmentName). Messages as upstream's.
 */
import type { LabelSelector, StatusCause } from '../meta';
import { fieldForbidden, fieldInvalid, fieldRequired } from '../status';
import { isQualifiedName, isValidLabelValue, regexError } from './names';

/** metav1validation.ValidateLabelSelector: label keys/values, operators and their values. */
export function validateSelectorFields(
  out: StatusCause[],
  ls: LabelSelector | undefined | null,
  path: string,
): void {
  if (!ls) return;
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) {
    for (const m of isQualifiedName(k)) out.push(fieldInvalid(`${path}.matchLabels`, k, m));
    if (typeof v === 'string')
      for (const m of isValidLabelValue(v)) out.push(fieldInvalid(`${path}.matchLabels`, v, m));
  }
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!e.values?.length)
          out.push(fieldRequired(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (e.values?.length)
          out.push(
            fieldForbidden(
              `${p}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        out.push(fieldInvalid(`${p}.operator`, e.operator, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(e.key ?? '')) out.push(fieldInvalid(`${p}.key`, e.key, m));
  });
}

/**
 * ValidatePositiveIntOrPercent (+ IsNotMoreThan100Percent): an integer ≥ 0 or "N%" with N ≤ 100.
 * Returns the integer or the percent number, or undefined when absent or malformed.
 */
export function validateIntOrPercentValue(
  out: StatusCause[],
  v: number | string | undefined | null,
  path: string,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (v < 0) out.push(fieldInvalid(path, v, 'must be greater than or equal to 0'));
    return v;
  }
  if (!/^[0-9]+%$/.test(v)) {
    out.push(
      fieldInvalid(
        path,
        v,
        regexError(
          "a valid percent string must be a numeric string followed by an ending '%'",
          '[0-9]+%',
          '1%',
          '93%',
        ),
      ),
    );
    return undefined;
  }
  const pct = Number(v.slice(0, -1));
  if (pct > 100) out.push(fieldInvalid(path, v, 'must not be greater than 100%'));
  return pct;
}

/** path.IsValidPathSegmentName: a name usable as one URL path segment (RBAC object names). */
export function isPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const out: string[] = [];
  for (const c of ['/', '%']) if (name.includes(c)) out.push(`may not contain '${c}'`);
  return out;
}
