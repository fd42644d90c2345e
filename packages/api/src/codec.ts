/**
 * JSON codec driven by the schema table (schema/): decode with unknown-field and type checks,
 * encode as Kubernetes writes JSON (schema field order, kind/apiVersion first, no undefined/null).
 */
import { DecodeError } from './errors';
import type { KubeObject, StatusCause } from './meta';
import { QuantityValue, isQuantity, quantityFormatError as quantityFormatErrorText } from './quantity';
import { schemaTypeFor, schemas, type FieldSchema } from './schema/index';

/** Result of {@link checkSchema}. */
export interface SchemaCheck {
  /** Paths of fields the schema doesn't know, e.g. "spec.containers[0].imagee". */
  unknown: string[];
  /** Type mismatches as FieldValueInvalid causes. */
  invalid: StatusCause[];
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function invalidType(path: string, value: unknown, expected: string): StatusCause {
  const got = typeName(value);
  return {
    reason: 'FieldValueInvalid',
    field: path,
    message: `Invalid value: ${JSON.stringify(got)}: ${path} in body must be of type ${expected}: ${JSON.stringify(got)}`,
  };
}

function walk(value: unknown, schema: FieldSchema, path: string, out: SchemaCheck): void {
  if (value === null || value === undefined) return; // null == omitted, as Go's decoder does
  switch (schema.type) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') out.invalid.push(invalidType(path, value, 'string'));
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        out.invalid.push(invalidType(path, value, 'integer'));
      return;
    case 'number':
      if (typeof value !== 'number') out.invalid.push(invalidType(path, value, 'number'));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.invalid.push(invalidType(path, value, 'boolean'));
      return;
    case 'intOrString':
      if (typeof value === 'string') return;
      if (typeof value !== 'number' || !Number.isInteger(value))
        out.invalid.push(invalidType(path, value, 'integer or string'));
      return;
    case 'quantity':
      if (typeof value === 'number') return; // Go accepts bare JSON numbers for Quantity
      if (typeof value !== 'string') out.invalid.push(invalidType(path, value, 'string'));
      else if (!isQuantity(value)) {
        out.invalid.push({
          reason: 'FieldValueInvalid',
          field: path,
          message: `Invalid value: ${JSON.stringify(value)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        });
      }
      return;
    case 'time':
      if (typeof value !== 'string') out.invalid.push(invalidType(path, value, 'string'));
      else if (!TIME_RE.test(value)) {
        out.invalid.push({
          reason: 'FieldValueInvalid',
          field: path,
          message: `Invalid value: ${JSON.stringify(value)}: must be an RFC 3339 date-time, e.g. "2006-01-02T15:04:05Z"`,
        });
      }
      return;
    case 'array':
      if (!Array.isArray(value)) {
        out.invalid.push(invalidType(path, value, 'array'));
        return;
      }
      value.forEach((v, i) => {
        // Go would decode a null element to a zero value; Keelson rejects it instead.
        if (v === null && schema.items!.type !== 'any')
          out.invalid.push(
            invalidType(`${path}[${i}]`, v, schema.items!.type === 'object' ? 'object' : schema.items!.type),
          );
        else walk(v, schema.items!, `${path}[${i}]`, out);
      });
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) {
        out.invalid.push(invalidType(path, value, 'object'));
        return;
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        walk(v, schema.items!, `${path}[${k}]`, out);
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        out.invalid.push(invalidType(path, value, 'object'));
        return;
      }
      const fields = schemas[schema.ref!];
      if (!fields) return;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const f = fields[k];
        if (!f) out.unknown.push(join(path, k));
        else walk(v, f, join(path, k), out);
      }
      return;
    }
  }
}

/**
 * Checks an object against the schema of its apiVersion/kind: unknown fields (as paths) and
 * type mismatches (as FieldValueInvalid causes). Objects of kinds without a schema yield no findings.
 */
export function checkSchema(obj: unknown): SchemaCheck {
  const out: SchemaCheck = { unknown: [], invalid: [] };
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    out.invalid.push(invalidType('', obj, 'object'));
    return out;
  }
  const o = obj as Record<string, unknown>;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return out;
  return checkSchemaAs(obj, o.apiVersion, o.kind);
}

/** Go's reflect type name of a field, as encoding/json prints it ("int32", "[]v1.Container", "v1.ResourceList"). */
function goTypeName(f: FieldSchema): string {
  switch (f.type) {
    case 'string':
      return 'string';
    case 'integer':
      return f.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'quantity':
      return 'resource.Quantity';
    case 'intOrString':
      return 'intstr.IntOrString';
    case 'time':
      return f.format === 'micro' ? 'v1.MicroTime' : 'v1.Time';
    case 'any':
      return 'runtime.RawExtension';
    case 'object':
      return `v1.${f.ref}`;
    case 'array':
      return `[]${goTypeName(f.items!)}`;
    case 'map':
      return f.items!.type === 'quantity' ? 'v1.ResourceList' : `map[string]${goTypeName(f.items!)}`;
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v; // string, number
}

/**
 * The first type error of obj in the words of the Kubernetes apiserver's JSON decoder (a 400
 * BadRequest upstream), e.g. `Deployment in version "v1" cannot be handled as a Deployment: json:
 * cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
 * undefined when obj has no type errors (or no schema).
 */
export function goDecodeError(obj: unknown): string | undefined {
  const o = obj as Record<string, unknown>;
  if (!o || typeof o !== 'object' || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string')
    return undefined;
  const root = schemaTypeFor(o.apiVersion, o.kind);
  if (!root) return undefined;
  const version = o.apiVersion.slice(o.apiVersion.lastIndexOf('/') + 1);
  const prefix = `${o.kind} in version ${JSON.stringify(version)} cannot be handled as a ${o.kind}: `;
  const find = (value: unknown, f: FieldSchema, struct: string, path: string): string | undefined => {
    if (value === null || value === undefined || f.type === 'any') return undefined;
    const mismatch = () =>
      `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${struct}.${path} of type ${goTypeName(f)}`;
    switch (f.type) {
      case 'string':
        return typeof value === 'string' ? undefined : mismatch();
      case 'boolean':
        return typeof value === 'boolean' ? undefined : mismatch();
      case 'integer':
      case 'number':
        if (typeof value !== 'number') return mismatch();
        if (f.type === 'integer' && !Number.isInteger(value)) {
          return `json: cannot unmarshal number ${value} into Go struct field ${struct}.${path} of type ${goTypeName(f)}`;
        }
        return undefined;
      case 'quantity':
        if (typeof value === 'number') return undefined;
        return typeof value === 'string' && isQuantity(value) ? undefined : quantityFormatErrorText;
      case 'intOrString':
        if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))
          return undefined;
        return `json: cannot unmarshal ${jsonKind(value)} into Go value of type int32`;
      case 'time':
        if (typeof value !== 'string')
          return `json: cannot unmarshal ${jsonKind(value)} into Go value of type string`;
        return TIME_RE.test(value)
          ? undefined
          : `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`;
      case 'array':
        if (!Array.isArray(value)) return mismatch();
        for (const v of value) {
          const e = find(v, f.items!, struct, path);
          if (e) return e;
        }
        return undefined;
      case 'map':
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch();
        for (const v of Object.values(value)) {
          const e = find(v, f.items!, struct, path);
          if (e) return e;
        }
        return undefined;
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) return mismatch();
        const fields = schemas[f.ref!];
        if (!fields) return undefined;
        for (const [k, v] of Object.entries(value)) {
          if (!fields[k]) continue;
          const e = find(v, fields[k], f.ref!, path ? `${path}.${k}` : k);
          if (e) return e;
        }
        return undefined;
      }
    }
  };
  const err = find(obj, { type: 'object', ref: root }, root, '');
  return err ? prefix + err : undefined;
}

/**
 * The upstream fieldValidation=Strict rejection (400) for unknown fields, e.g. `Deployment in
 * version "v1" cannot be handled as a Deployment: strict decoding error: unknown field
 * "spec.replica", unknown field "spec.template.spec.containers[0].imagee"`. The warning for
 * fieldValidation=Warn is each `unknown field "<path>"` on its own (see {@link unknownFieldWarnings}).
 */
export function strictDecodingError(apiVersion: string, kind: string, unknown: readonly string[]): string {
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: strict decoding error: ${unknownFieldWarnings(unknown).join(', ')}`;
}

/** `unknown field "<path>"` per path: the Warning header texts for fieldValidation=Warn. */
export function unknownFieldWarnings(unknown: readonly string[]): string[] {
  return unknown.map((p) => `unknown field ${JSON.stringify(p)}`);
}

/** {@link checkSchema} for an explicit apiVersion/kind (e.g. a body without TypeMeta). */
export function checkSchemaAs(obj: unknown, apiVersion: string, kind: string): SchemaCheck {
  const out: SchemaCheck = { unknown: [], invalid: [] };
  const t = schemaTypeFor(apiVersion, kind);
  if (!t) return out;
  walk(obj, { type: 'object', ref: t }, '', out);
  return out;
}

/** The unknown-field paths of obj read as apiVersion/kind, e.g. ["spec.containers[0].imagee"]. */
export function unknownFields(obj: unknown, apiVersion: string, kind: string): string[] {
  return checkSchemaAs(obj, apiVersion, kind).unknown;
}

/** The type errors of obj read as apiVersion/kind. */
export function typeErrors(obj: unknown, apiVersion: string, kind: string): StatusCause[] {
  return checkSchemaAs(obj, apiVersion, kind).invalid;
}

function prune(value: unknown, schema: FieldSchema): unknown {
  if (value === null || value === undefined || typeof value !== 'object') return value;
  if (schema.type === 'array' && Array.isArray(value)) return value.map((v) => prune(v, schema.items!));
  if (schema.type === 'map' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, prune(v, schema.items!)]));
  }
  if (schema.type === 'object' && !Array.isArray(value)) {
    const fields = schemas[schema.ref!];
    if (!fields) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (fields[k]) out[k] = prune(v, fields[k]);
    return out;
  }
  return value;
}

/** A copy of obj without the fields its schema doesn't know (fieldValidation=Ignore/Warn). */
export function pruneUnknownFields<T>(obj: T): T {
  const o = obj as Record<string, unknown>;
  const t =
    typeof o?.apiVersion === 'string' && typeof o?.kind === 'string'
      ? schemaTypeFor(o.apiVersion, o.kind)
      : undefined;
  return t ? (prune(obj, { type: 'object', ref: t }) as T) : obj;
}

function canonicalize(value: unknown, schema: FieldSchema): unknown {
  if (schema.type === 'quantity') return canonicalQuantityOf(value);
  if (value === null || typeof value !== 'object') return value;
  if (schema.type === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => (value[i] = canonicalize(v, schema.items!)));
  } else if (schema.type === 'map' && !Array.isArray(value)) {
    const rec = value as Record<string, unknown>;
    for (const k of Object.keys(rec)) rec[k] = canonicalize(rec[k], schema.items!);
  } else if (schema.type === 'object' && schema.ref && !Array.isArray(value)) {
    const fields = schemas[schema.ref];
    const rec = value as Record<string, unknown>;
    if (fields) for (const k of Object.keys(rec)) if (fields[k]) rec[k] = canonicalize(rec[k], fields[k]);
  }
  return value;
}

function canonicalizeTimesIn(value: unknown, schema: FieldSchema): unknown {
  if (schema.type === 'time') return canonicalTimeOf(value, schema.format === 'micro');
  if (value === null || typeof value !== 'object') return value;
  if (schema.type === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => (value[i] = canonicalizeTimesIn(v, schema.items!)));
  } else if (schema.type === 'object' && schema.ref && !Array.isArray(value)) {
    const fields = schemas[schema.ref];
    const rec = value as Record<string, unknown>;
    if (fields)
      for (const k of Object.keys(rec)) if (fields[k]) rec[k] = canonicalizeTimesIn(rec[k], fields[k]);
  }
  return value;
}

/**
 * Rewrites every Time field of obj, in place, as Kubernetes serializes it: UTC at second
 * precision for metav1.Time ("2024-05-01T14:00:00+02:00" → "2024-05-01T12:00:00Z",
 * "...:00.123Z" → "...:00Z"), six fractional digits for MicroTime (Lease renewTime, Event
 * eventTime). encodeObject does the same on the wire; defaultObject does not call this.
 */
export function canonicalizeTimes<T>(obj: T): T {
  const o = obj as Record<string, unknown>;
  const t =
    typeof o?.apiVersion === 'string' && typeof o?.kind === 'string'
      ? schemaTypeFor(o.apiVersion, o.kind)
      : undefined;
  if (t) canonicalizeTimesIn(obj, { type: 'object', ref: t });
  return obj;
}

/**
 * Rewrites every Quantity field of obj, in place, to its canonical string ("0.5" → "500m",
 * 1 → "1", "1.5Gi" → "1536Mi"), as Kubernetes stores and returns them. Unparseable values are
 * left for validation to report.
 */
export function canonicalizeQuantities<T>(obj: T): T {
  const o = obj as Record<string, unknown>;
  const t =
    typeof o?.apiVersion === 'string' && typeof o?.kind === 'string'
      ? schemaTypeFor(o.apiVersion, o.kind)
      : undefined;
  if (t) canonicalize(obj, { type: 'object', ref: t });
  return obj;
}

/** Result of {@link decodeObject}. */
export interface Decoded {
  object: KubeObject;
  /** Unknown field paths; the object still contains them (see pruneUnknownFields). */
  unknownFields: string[];
  /** Type mismatches (string where integer expected ...). */
  invalid: StatusCause[];
}

/**
 * Parses a JSON request body into an object and reports unknown fields and type errors.
 * @throws DecodeError when the body isn't JSON (`couldn't get version/kind; json parse error: ...`),
 *   isn't an object, or lacks apiVersion/kind ("Object 'Kind' is missing in '...'").
 */
export function decodeObject(json: string | Uint8Array): Decoded {
  const text = typeof json === 'string' ? json : new TextDecoder().decode(json);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DecodeError(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DecodeError(
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${typeName(parsed)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o.kind !== 'string' || o.kind === '')
    throw new DecodeError(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '') {
    throw new DecodeError(`Object 'apiVersion' is missing in '${text.slice(0, 200)}'`);
  }
  const check = checkSchema(parsed);
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
  return { object: parsed as KubeObject, unknownFields: check.unknown, invalid: check.invalid };
}

function canonicalQuantityOf(value: unknown): unknown {
  if (typeof value !== 'string' && typeof value !== 'number') return value;
  try {
    return QuantityValue.parse(String(value)).toString();
  } catch {
    return value;
  }
}

const MICRO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * metav1.Time marshals as UTC RFC 3339 at second precision ("2024-05-01T12:00:00Z"); MicroTime
 * with exactly six fractional digits ("2024-05-01T12:00:00.123456Z"). Unparseable values pass through.
 */
function canonicalTimeOf(value: unknown, micro: boolean): unknown {
  if (value instanceof Date) {
    const iso = value.toISOString();
    return micro ? iso.replace(/Z$/, '000Z') : iso.replace(/\.\d{3}Z$/, 'Z');
  }
  if (typeof value !== 'string') return value;
  if (micro && MICRO_RE.test(value)) return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !TIME_RE.test(value)) return value;
  return canonicalTimeOf(new Date(ms), micro);
}

function encodeValue(value: unknown, schema: FieldSchema | undefined): unknown {
  if (schema?.type === 'time') return canonicalTimeOf(value, schema.format === 'micro');
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (schema?.type === 'quantity') return canonicalQuantityOf(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = schema?.type === 'array' ? schema.items : undefined;
    return value.map((v) => encodeValue(v, items));
  }
  const rec = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const fields = schema?.type === 'object' && schema.ref ? schemas[schema.ref] : undefined;
  if (!fields) {
    const items = schema?.type === 'map' ? schema.items : undefined;
    for (const k in rec) {
      const v = rec[k];
      if (v !== undefined && v !== null) out[k] = encodeValue(v, items);
    }
    return out;
  }
  // Known fields in schema order, then unknown ones in their own order.
  for (const k in fields) {
    const v = rec[k];
    if (v !== undefined && v !== null) out[k] = encodeValue(v, fields[k]);
  }
  for (const k in rec) {
    if (k in fields) continue;
    const v = rec[k];
    if (v !== undefined && v !== null) out[k] = encodeValue(v, undefined);
  }
  return out;
}

/**
 * Serializes an object as Kubernetes JSON: fields in schema order (kind, apiVersion, metadata,
 * spec, status), undefined and null dropped, Time fields as UTC RFC 3339 seconds (MicroTime with
 * six fractional digits), Quantity fields in canonical form ("0.5" → "500m"), IntOrString kept as
 * given. Unknown kinds keep their key order.
 */
export function encodeObject(obj: unknown): string {
  return JSON.stringify(toWire(obj));
}

/** {@link encodeObject} without the final JSON.stringify: the plain wire-shaped value. */
export function toWire(obj: unknown): unknown {
  const o = obj as Record<string, unknown>;
  const t =
    o && typeof o.apiVersion === 'string' && typeof o.kind === 'string'
      ? schemaTypeFor(o.apiVersion, o.kind)
      : undefined;
  return encodeValue(obj, t ? { type: 'object', ref: t } : undefined);
}
