/**
 * Defaulting, validation and schema checks for incoming objects. Delegates to @keelson/api's
 * `defaultObject`, `validateObject` and `checkSchema` when that package exports them (looked up
 * at call time, so they are picked up as soon as they land), and always applies the apiserver's
 * own metadata checks (names per Kubernetes API conventions: DNS-1123 subdomain/label).
 */
import * as api from '@keelson/api';
import type { KubeObject, ResourceInfo, StatusCause } from '@keelson/api';

type DefaultFn = (obj: KubeObject) => KubeObject | void;
type ValidateFn = (obj: KubeObject, old?: KubeObject) => StatusCause[];
type SchemaFn = (obj: KubeObject) => { unknown: string[]; invalid: StatusCause[] };

function apiFn<T>(name: string): T | undefined {
  const f = (api as unknown as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as T) : undefined;
}

/** True when @keelson/api provides full validation (validateObject). */
export function hasApiValidation(): boolean {
  return apiFn('validateObject') !== undefined;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Kinds whose names must be DNS-1123 labels (upstream ValidateNamespaceName, ValidateServiceName). */
const LABEL_NAMED = new Set(['namespaces', 'services']);

function invalidCause(field: string, value: unknown, msg: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${msg}`, field };
}
function requiredCause(field: string, msg = ''): StatusCause {
  return { reason: 'FieldValueRequired', message: msg ? `Required value: ${msg}` : 'Required value', field };
}

/** Validates an object name for a resource; returns causes for `metadata.name`. */
export function validateName(info: ResourceInfo, name: string, field = 'metadata.name'): StatusCause[] {
  if (LABEL_NAMED.has(info.resource)) {
    if (name.length > 63) return [invalidCause(field, name, 'must be no more than 63 characters')];
    if (!LABEL.test(name)) return [invalidCause(field, name, LABEL_MSG)];
    return [];
  }
  if (name.length > 253) return [invalidCause(field, name, 'must be no more than 253 characters')];
  if (!SUBDOMAIN.test(name)) return [invalidCause(field, name, SUBDOMAIN_MSG)];
  return [];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Metadata checks every object gets (ValidateObjectMeta). */
export function validateMeta(info: ResourceInfo, obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const m = obj.metadata as unknown;
  if (!isPlainObject(m)) return [invalidCause('metadata', m, 'must be an object')];
  const name = obj.metadata.name;
  if (!name) causes.push(requiredCause('metadata.name', 'name or generateName is required'));
  else if (typeof name !== 'string') causes.push(invalidCause('metadata.name', name, 'must be a string'));
  else causes.push(...validateName(info, name));
  if (info.namespaced && !obj.metadata.namespace) causes.push(requiredCause('metadata.namespace'));
  const labels = obj.metadata.labels as unknown;
  if (labels !== undefined && labels !== null) {
    if (!isPlainObject(labels))
      causes.push(invalidCause('metadata.labels', labels, 'must be a map of strings'));
    else
      for (const [k, v] of Object.entries(labels)) {
        const keyName = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
        const prefix = k.includes('/') ? k.slice(0, k.indexOf('/')) : '';
        if (
          !QUALIFIED_NAME.test(keyName) ||
          keyName.length > 63 ||
          (prefix && (!SUBDOMAIN.test(prefix) || prefix.length > 253))
        )
          causes.push(
            invalidCause(
              'metadata.labels',
              k,
              "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ),
          );
        if (typeof v !== 'string') causes.push(invalidCause(`metadata.labels`, v, 'must be a string'));
        else if (!LABEL_VALUE.test(v) || v.length > 63)
          causes.push(
            invalidCause(
              'metadata.labels',
              v,
              "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
          );
      }
  }
  const ann = obj.metadata.annotations as unknown;
  if (ann !== undefined && ann !== null) {
    if (!isPlainObject(ann))
      causes.push(invalidCause('metadata.annotations', ann, 'must be a map of strings'));
    else {
      let total = 0;
      for (const [k, v] of Object.entries(ann)) {
        if (typeof v !== 'string') causes.push(invalidCause(`metadata.annotations`, v, 'must be a string'));
        else total += k.length + v.length;
      }
      if (total > 256 * 1024)
        causes.push({
          reason: 'FieldValueTooLong',
          message: 'Too long: must have at most 262144 bytes',
          field: 'metadata.annotations',
        });
    }
  }
  const fins = obj.metadata.finalizers as unknown;
  if (
    fins !== undefined &&
    fins !== null &&
    (!Array.isArray(fins) || fins.some((f) => typeof f !== 'string'))
  )
    causes.push(invalidCause('metadata.finalizers', fins, 'must be a list of strings'));
  return causes;
}

/** The fallback shape checks used until @keelson/api's validateObject exists. */
function fallbackValidate(info: ResourceInfo, obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const o = obj as unknown as Record<string, any>;
  const checkContainers = (spec: any, path: string) => {
    if (!isPlainObject(spec)) {
      causes.push(requiredCause(path));
      return;
    }
    const cs = spec.containers;
    if (!Array.isArray(cs) || cs.length === 0) causes.push(requiredCause(`${path}.containers`));
    else
      cs.forEach((c: any, i: number) => {
        if (!isPlainObject(c))
          return causes.push(invalidCause(`${path}.containers[${i}]`, c, 'must be an object'));
        if (!c.name) causes.push(requiredCause(`${path}.containers[${i}].name`));
        else if (typeof c.name !== 'string' || !LABEL.test(c.name))
          causes.push(invalidCause(`${path}.containers[${i}].name`, c.name, LABEL_MSG));
        if (!c.image) causes.push(requiredCause(`${path}.containers[${i}].image`));
      });
  };
  switch (info.resource) {
    case 'pods':
      checkContainers(o.spec, 'spec');
      break;
    case 'deployments':
    case 'replicasets':
    case 'statefulsets':
    case 'daemonsets': {
      const spec = o.spec;
      if (!isPlainObject(spec)) {
        causes.push(requiredCause('spec'));
        break;
      }
      if (
        spec.replicas !== undefined &&
        (typeof spec.replicas !== 'number' || spec.replicas < 0 || !Number.isInteger(spec.replicas))
      )
        causes.push(invalidCause('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
      const sel = spec.selector;
      if (!isPlainObject(sel) || (!sel.matchLabels && !sel.matchExpressions))
        causes.push(requiredCause('spec.selector'));
      const tpl = spec.template;
      if (!isPlainObject(tpl)) causes.push(requiredCause('spec.template'));
      else {
        checkContainers(tpl.spec, 'spec.template.spec');
        const labels = (tpl.metadata as any)?.labels ?? {};
        if (isPlainObject(sel) && isPlainObject(sel.matchLabels))
          for (const [k, v] of Object.entries(sel.matchLabels))
            if (labels[k] !== v) {
              causes.push(
                invalidCause(
                  'spec.template.metadata.labels',
                  labels,
                  '`selector` does not match template `labels`',
                ),
              );
              break;
            }
      }
      break;
    }
    case 'configmaps':
      for (const key of ['data', 'binaryData'])
        if (o[key] !== undefined && o[key] !== null) {
          if (!isPlainObject(o[key])) causes.push(invalidCause(key, o[key], 'must be a map of strings'));
          else
            for (const [k, v] of Object.entries(o[key])) {
              if (typeof v !== 'string') causes.push(invalidCause(`${key}[${k}]`, v, 'must be a string'));
              if (!/^[-._a-zA-Z0-9]+$/.test(k))
                causes.push(
                  invalidCause(
                    key,
                    k,
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                  ),
                );
            }
        }
      break;
    case 'services': {
      const spec = o.spec;
      if (spec !== undefined && !isPlainObject(spec))
        causes.push(invalidCause('spec', spec, 'must be an object'));
      else if (spec?.type !== 'ExternalName' && spec?.clusterIP !== 'None') {
        const ports = spec?.ports;
        if (!Array.isArray(ports) || ports.length === 0) causes.push(requiredCause('spec.ports'));
        else
          ports.forEach((p: any, i: number) => {
            if (!isPlainObject(p) || typeof p.port !== 'number' || p.port < 1 || p.port > 65535)
              causes.push(
                invalidCause(`spec.ports[${i}].port`, p?.port, 'must be between 1 and 65535, inclusive'),
              );
          });
      }
      break;
    }
  }
  return causes;
}

/** Applies @keelson/api defaulting when available; returns the (possibly new) object. */
export function defaultObject(obj: KubeObject): KubeObject {
  const f = apiFn<DefaultFn>('defaultObject');
  if (!f) return obj;
  const r = f(obj);
  return r && typeof r === 'object' ? r : obj;
}

/** Full validation: metadata checks plus @keelson/api's validateObject (or the fallback). */
export function validateObject(info: ResourceInfo, obj: KubeObject, old?: KubeObject): StatusCause[] {
  const causes = validateMeta(info, obj);
  const f = apiFn<ValidateFn>('validateObject');
  const more = f ? f(obj, old) : fallbackValidate(info, obj);
  for (const c of more ?? [])
    if (!causes.some((x) => x.field === c.field && x.message === c.message)) causes.push(c);
  return causes;
}

const TOP_LEVEL: Record<string, string[]> = {
  configmaps: ['data', 'binaryData', 'immutable'],
  secrets: ['data', 'stringData', 'type', 'immutable'],
  serviceaccounts: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  endpoints: ['subsets'],
  events: [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  endpointslices: ['addressType', 'endpoints', 'ports'],
  controllerrevisions: ['data', 'revision'],
  componentstatuses: ['conditions'],
};
const META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/**
 * Schema check: unknown field paths ("spec.foo") and type errors. Uses @keelson/api's checkSchema
 * when present; otherwise checks the top level and metadata only.
 */
export function checkSchema(
  info: ResourceInfo,
  obj: KubeObject,
): { unknown: string[]; invalid: StatusCause[] } {
  const f = apiFn<SchemaFn>('checkSchema');
  if (f) return f(obj);
  const unknown: string[] = [];
  const allowed = new Set([
    'apiVersion',
    'kind',
    'metadata',
    ...(TOP_LEVEL[info.resource] ?? ['spec', 'status']),
  ]);
  for (const k of Object.keys(obj)) if (!allowed.has(k)) unknown.push(k);
  if (isPlainObject(obj.metadata))
    for (const k of Object.keys(obj.metadata)) if (!META_FIELDS.has(k)) unknown.push(`metadata.${k}`);
  return { unknown, invalid: [] };
}

/**
 * Drops fields the schema does not know (what decoding into Go types does upstream with
 * fieldValidation Warn/Ignore) and canonicalizes Quantities ("0.5" → "500m"), through
 * @keelson/api's pruneUnknownFields / canonicalizeQuantities when present.
 */
export function normalizeObject(obj: KubeObject, prune: boolean): KubeObject {
  let out = obj;
  const p = apiFn<(o: KubeObject) => KubeObject>('pruneUnknownFields');
  if (prune && p) out = p(out);
  const c = apiFn<(o: KubeObject) => KubeObject>('canonicalizeQuantities');
  if (c) out = c(out) ?? out;
  return out;
}
