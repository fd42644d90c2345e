/**
 * Field selectors (apimachinery `pkg/fields` + the per-kind field label conversions of
 * `pkg/apis/core/v1/conversion.go` and friends).
 *
 * Syntax: comma-separated `field=value`, `field==value` or `field!=value`; `\,`, `\=` and `\\`
 * escape those characters in values. Every kind supports metadata.name and metadata.namespace;
 * others are listed in {@link supportedFieldSelectors}.
 */
import { FieldSelectorParseError } from './errors';
import type { KubeObject } from './meta';

/** One term: field, operator and unescaped value. */
export interface FieldRequirement {
  /** Field path, e.g. "spec.nodeName". */
  field: string;
  /** "=" and "==" require equality, "!=" inequality. */
  operator: '=' | '==' | '!=';
  /** Unescaped value; "" matches an unset field. */
  value: string;
}

/** A parsed field selector; empty matches everything. */
export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** Matches a field set (see {@link objectFields}); a field missing from the set has value "". */
  matchesFields(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => {
      const v = fields[r.field] ?? '';
      return r.operator === '!=' ? v !== r.value : v === r.value;
    });
  }

  /**
   * Matches an object of the given kind.
   * @throws FieldSelectorParseError `field label not supported: x` for a field the kind doesn't index.
   */
  matches(obj: KubeObject, kind = typeof obj.kind === 'string' ? obj.kind : ''): boolean {
    this.validateFor(kind);
    return this.matchesFields(objectFields(obj, kind));
  }

  /** @throws FieldSelectorParseError when a field is not supported for kind. */
  validateFor(kind: string): void {
    const ok = supportedFieldSelectors(kind);
    for (const r of this.requirements) {
      if (!ok.includes(r.field)) throw new FieldSelectorParseError(`field label not supported: ${r.field}`);
    }
  }

  /** The value an `=`/`==` term requires for field, if any (RequiresExactMatch). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
  }

  /** Canonical string: terms sorted, values escaped, joined by ",". */
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

/** Escapes `\`, `,` and `=` in a field selector value (fields.EscapeValue). */
export function escapeValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined || !'\\,='.includes(n)) {
        throw new FieldSelectorParseError(`invalid field selector: invalid escape sequence: ${c}${n ?? ''}`);
      }
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw new FieldSelectorParseError(`invalid field selector: unescaped character in value: ${c}`);
    } else out += c;
  }
  return out;
}

function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms;
}

/**
 * Parses a field selector (fields.ParseSelector). "" matches everything.
 * @throws FieldSelectorParseError `invalid selector: '<s>'; can't understand '<term>'`.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const reqs: FieldRequirement[] = [];
  const terms = splitTerms(selector).sort();
  for (const term of terms) {
    if (term === '') continue;
    let found: FieldRequirement | undefined;
    for (let i = 0; i < term.length && !found; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (term.startsWith(op, i)) {
          found = { field: term.slice(0, i), operator: op, value: unescapeValue(term.slice(i + op.length)) };
          break;
        }
      }
    }
    if (!found)
      throw new FieldSelectorParseError(`invalid selector: '${selector}'; can't understand '${term}'`);
    reqs.push(found);
  }
  return new FieldSelector(reqs);
}

type Getter = (o: any) => unknown;

const FIELD_GETTERS: Record<string, Record<string, Getter>> = {
  Pod: {
    'spec.nodeName': (o) => o.spec?.nodeName,
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork ?? false),
    'status.phase': (o) => o.status?.phase,
    'status.podIP': (o) => o.status?.podIP,
    'status.podIPs': (o) => o.status?.podIPs?.[0]?.ip,
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
  },
  Event: {
    'involvedObject.kind': (o) => o.involvedObject?.kind,
    'involvedObject.namespace': (o) => o.involvedObject?.namespace,
    'involvedObject.name': (o) => o.involvedObject?.name,
    'involvedObject.uid': (o) => o.involvedObject?.uid,
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
    reason: (o) => o.reason,
    reportingComponent: (o) => o.reportingComponent,
    source: (o) => o.source?.component,
    type: (o) => o.type,
  },
  Secret: { type: (o) => o.type },
  Node: { 'spec.unschedulable': (o) => String(o.spec?.unschedulable ?? false) },
  Namespace: { 'status.phase': (o) => o.status?.phase },
  ReplicaSet: { 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
  Job: { 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
  Service: { 'spec.clusterIP': (o) => o.spec?.clusterIP, 'spec.type': (o) => o.spec?.type },
};

/** Field paths a kind supports in field selectors (metadata.name and metadata.namespace for all). */
export function supportedFieldSelectors(kind: string): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(FIELD_GETTERS[kind] ?? {})];
}

/** The field set of an object: every supported field path → its string value ("" when unset). */
export function objectFields(
  obj: KubeObject,
  kind = typeof obj.kind === 'string' ? obj.kind : '',
): Record<string, string> {
  const out: Record<string, string> = {
    'metadata.name': obj.metadata?.name ?? '',
    'metadata.namespace': obj.metadata?.namespace ?? '',
  };
  for (const [f, get] of Object.entries(Object.hasOwn(FIELD_GETTERS, kind) ? FIELD_GETTERS[kind] : {})) {
    const v = get(obj);
    out[f] = v === undefined || v === null ? '' : String(v);
  }
  return out;
}
