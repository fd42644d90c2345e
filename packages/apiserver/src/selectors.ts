/**
 * Label and field selectors as list/watch take them (`?labelSelector=`, `?fieldSelector=`),
 * following k8s.io/apimachinery/pkg/labels (set-based syntax) and pkg/fields (=, ==, !=).
 * Throws ApiError 400 on a malformed selector.
 */
import { badRequest } from './errors';

/** One parsed label requirement. */
export interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';
  values: string[];
}

/** A compiled selector: true when the labels/fields match. */
export type Matcher = (values: Record<string, string>) => boolean;

const KEY_RE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function splitTop(s: string): string[] {
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
  return out;
}

/** Parses a label selector string into requirements. Throws ApiError 400. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  const s = selector.trim();
  if (!s) return reqs;
  for (const raw of splitTop(s)) {
    const part = raw.trim();
    const bad = () => badRequest(`unable to parse requirement: found '${part}', expected: identifier`);
    if (!part) throw badRequest(`found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    let req: LabelRequirement;
    if ((m = part.match(/^([^\s!=<>()]+)\s+(in|notin)\s*\((.*)\)$/))) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v, i, a) => v !== '' || a.length > 1);
      req = { key: m[1], op: m[2] as 'in' | 'notin', values };
    } else if ((m = part.match(/^!\s*([^\s!=<>()]+)$/))) {
      req = { key: m[1], op: '!', values: [] };
    } else if ((m = part.match(/^([^\s!=<>()]+)\s*(==|=|!=|>|<)\s*([^\s!=<>(),]*)$/))) {
      const op = m[2] === '==' ? '=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : (m[2] as '=' | '!=');
      req = { key: m[1], op, values: [m[3]] };
      if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(m[3]))
        throw badRequest(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
    } else if ((m = part.match(/^([^\s!=<>()]+)$/))) {
      req = { key: m[1], op: 'exists', values: [] };
    } else throw bad();
    if (!KEY_RE.test(req.key) || req.key.length > 316)
      throw badRequest(
        `unable to parse requirement: invalid label key "${req.key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      );
    for (const v of req.values)
      if (!VALUE_RE.test(v) || v.length > 63)
        throw badRequest(
          `unable to parse requirement: invalid label value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        );
    reqs.push(req);
  }
  return reqs;
}

/** Compiles label requirements into a matcher. */
export function labelMatcher(reqs: LabelRequirement[]): Matcher {
  if (!reqs.length) return () => true;
  return (labels) =>
    reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case '=':
          return has && v === r.values[0];
        case '!=':
          return !has || v !== r.values[0];
        case 'in':
          return has && r.values.includes(v);
        case 'notin':
          return !has || !r.values.includes(v);
        case 'exists':
          return has;
        case '!':
          return !has;
        case 'gt':
          return has && /^-?\d+$/.test(v) && Number(v) > Number(r.values[0]);
        case 'lt':
          return has && /^-?\d+$/.test(v) && Number(v) < Number(r.values[0]);
      }
    });
}

/** One parsed field requirement. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses a field selector ("a=b,c!=d"; backslash escapes per fields.EscapeValue). Throws ApiError 400. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  const s = selector.trim();
  if (!s) return out;
  for (const raw of s.split(/(?<!\\),/)) {
    const part = raw.trim();
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    out.push({ field: m[1].trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3].replace(/\\(.)/g, '$1') });
  }
  return out;
}

/** Compiles field requirements into a matcher over a field map. */
export function fieldMatcher(reqs: FieldRequirement[]): Matcher {
  if (!reqs.length) return () => true;
  return (fields) =>
    reqs.every((r) =>
      r.op === '=' ? (fields[r.field] ?? '') === r.value : (fields[r.field] ?? '') !== r.value,
    );
}
