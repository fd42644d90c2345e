/**
 * Defaulting, validation and schema checks for incoming objects: @keelson/api's
 * `defaultObject`, `validateObject`, `checkSchema`, `pruneUnknownFields` and
 * `canonicalizeQuantities`, plus the apiserver's own metadata checks (names per Kubernetes API
 * conventions: DNS-1123 subdomain/label) and the DefaultTolerationSeconds admission settings.
 */
import * as api from '@keelson/api';
import type { KubeObject, Pod, ResourceInfo, StatusCause } from '@keelson/api';

/**
 * Settings of the DefaultTolerationSeconds admission plugin (kube-apiserver flags
 * --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds, 300 s each).
 */
export interface AdmissionOptions {
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
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

/** RBAC kinds' names are path segments (ValidateRBACName: "system:aggregate-to-view" is valid); @keelson/api checks them. */
const PATH_SEGMENT_NAMED = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);

/** Validates an object name for a resource; returns causes for `metadata.name`. */
export function validateName(info: ResourceInfo, name: string, field = 'metadata.name'): StatusCause[] {
  if (PATH_SEGMENT_NAMED.has(info.resource) && info.group === 'rbac.authorization.k8s.io') return [];
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
/**
 * Applies @keelson/api defaulting (mutating a copy) and returns the defaulted object. For a pod
 * created without them, the not-ready/unreachable NoExecute tolerations that defaulting adds get
 * the configured seconds instead of 300 (DefaultTolerationSeconds admission).
 */
export function defaultObject(obj: KubeObject, opts: AdmissionOptions = {}): KubeObject {
  const hadTolerations = new Set(((obj as Pod).spec?.tolerations ?? []).map((t) => t.key));
  api.defaultObject(obj);
  if (obj.kind === 'Pod') {
    const seconds: Record<string, number | undefined> = {
      [api.TAINT_NODE_NOT_READY]: opts.defaultNotReadyTolerationSeconds,
      [api.TAINT_NODE_UNREACHABLE]: opts.defaultUnreachableTolerationSeconds,
    };
    for (const t of (obj as Pod).spec?.tolerations ?? []) {
      const want = t.key ? seconds[t.key] : undefined;
      if (want !== undefined && !hadTolerations.has(t.key) && t.effect === 'NoExecute')
        t.tolerationSeconds = want;
    }
  }
  return obj;
}

/** Full validation: metadata checks plus @keelson/api's validateObject (or the fallback). */
export function validateObject(info: ResourceInfo, obj: KubeObject, old?: KubeObject): StatusCause[] {
  const causes = validateMeta(info, obj);
  for (const c of api.validateObject(obj, old))
    if (!causes.some((x) => x.field === c.field && x.message === c.message)) causes.push(c);
  return causes;
}

/** Schema check: unknown field paths ("spec.foo") and type errors (@keelson/api checkSchema). */
export function checkSchema(
  _info: ResourceInfo,
  obj: KubeObject,
): { unknown: string[]; invalid: StatusCause[] } {
  return api.checkSchema(obj);
}

/**
 * Drops fields the schema does not know (what decoding into Go types does upstream with
 * fieldValidation Warn/Ignore) and canonicalizes Quantities ("0.5" → "500m") with @keelson/api's
 * pruneUnknownFields / canonicalizeQuantities.
 */
export function normalizeObject(obj: KubeObject, prune: boolean): KubeObject {
  return api.canonicalizeQuantities(prune ? api.pruneUnknownFields(obj) : obj);
}
