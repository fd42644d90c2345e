/**
 * Label and field selector matching used by the fake clientset and by listers.
 *
 * TODO(api): @keelson/api is adding the label/field selector parser and matcher; once it is
 * committed, replace the bodies of {@link labelSelectorMatcher} and {@link fieldSelectorMatcher}
 * with it. This file is the only seam: nothing else in the client parses selectors. Until then it
 * understands the subset of the Kubernetes selector grammar (Kubernetes "Labels and Selectors":
 * `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma = AND) that
 * components send.
 */
import type { KubeObject, LabelSelector } from '@keelson/api';
import { newBadRequest } from './errors';

/** A compiled selector: true when the labels (or fields) match. */
export type Matcher = (values: Record<string, string | undefined>) => boolean;

type Req = { key: string; op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!'; values: string[] };

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x.length > 0);
}

function parse(selector: string, allowSets: boolean): Req[] {
  const reqs: Req[] = [];
  for (const term of splitTopLevel(selector)) {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s!=(),]+)\s*(!=|==|=)\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? '!=' : '=', values: [m[3]!] });
    } else if (allowSets && (m = term.match(/^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if (allowSets && (m = term.match(/^!\s*([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: '!', values: [] });
    } else if (allowSets && (m = term.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1]!, op: 'exists', values: [] });
    } else {
      throw newBadRequest(`unable to parse requirement: ${JSON.stringify(term)} in selector ${JSON.stringify(selector)}`);
    }
  }
  return reqs;
}

function compile(reqs: Req[]): Matcher {
  return (vals) =>
    reqs.every((r) => {
      const v = vals[r.key];
      switch (r.op) {
        case '=':
          return v === r.values[0];
        case '!=':
          return v !== r.values[0];
        case 'in':
          return v !== undefined && r.values.includes(v);
        case 'notin':
          return v === undefined || !r.values.includes(v);
        case 'exists':
          return v !== undefined;
        case '!':
          return v === undefined;
      }
    });
}

/**
 * Compiles a label selector string ("app=web,tier!=db", "env in (a,b)"); "" or undefined matches
 * everything. Throws ApiError 400 BadRequest on a syntax error.
 */
export function labelSelectorMatcher(selector: string | undefined): Matcher {
  if (!selector || !selector.trim()) return () => true;
  return compile(parse(selector, true));
}

/**
 * Compiles a field selector string ("metadata.name=x,spec.nodeName!="); "" or undefined matches
 * everything. Field selectors support only `=`, `==` and `!=`. Throws ApiError 400 on a syntax error.
 */
export function fieldSelectorMatcher(selector: string | undefined): Matcher {
  if (!selector || !selector.trim()) return () => true;
  return compile(parse(selector, false));
}

/**
 * The set of fields a field selector can test on an object: metadata.name, metadata.namespace,
 * and any scalar at a dotted path (spec.nodeName, status.phase, involvedObject.name ...).
 * A missing field reads as "" (as the apiserver's field label conversion does for pods' spec.nodeName).
 */
export function objectFields(obj: KubeObject, selector: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!selector) return out;
  for (const term of splitTopLevel(selector)) {
    const key = term.split(/!=|==|=/)[0]!.trim();
    let cur: unknown = obj;
    for (const part of key.split('.')) {
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
    }
    out[key] = cur === undefined || cur === null ? '' : String(cur);
  }
  return out;
}

/** True when `obj` matches both selectors (strings as in ListOptions). */
export function matchesSelectors(obj: KubeObject, labelSelector?: string, fieldSelector?: string): boolean {
  return (
    labelSelectorMatcher(labelSelector)(obj.metadata.labels ?? {}) &&
    fieldSelectorMatcher(fieldSelector)(objectFields(obj, fieldSelector))
  );
}

/**
 * Converts a structured metav1.LabelSelector (matchLabels + matchExpressions) to a matcher
 * (metav1.LabelSelectorAsSelector). An empty selector matches everything; undefined matches nothing.
 */
export function labelSelectorFromStruct(sel: LabelSelector | undefined): Matcher {
  if (!sel) return () => false;
  const reqs: Req[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: '=' as const, values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator as 'In'];
    if (!op) throw newBadRequest(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return compile(reqs);
}
