/**
 * The runtime schema format: one table per type (type name → field → FieldSchema), written
 * beside the TypeScript interfaces. The codec walks it to find unknown fields and type errors; the
 * apiserver turns it into OpenAPI v2/v3 documents and uses the patch metadata for strategic merge
 * patch (Kubernetes `patchMergeKey` / `patchStrategy` struct tags).
 */

/** Wire type of a field. `object` needs `ref`; `array` and `map` need `items`. */
export type FieldType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'object'
  | 'map'
  | 'array'
  | 'intOrString'
  | 'quantity'
  | 'time'
  | 'any';

/** One field of a type. */
export interface FieldSchema {
  type: FieldType;
  /** For `object`: the referenced type name in {@link schemas}. */
  ref?: string;
  /** For `array` (element) and `map` (value). */
  items?: FieldSchema;
  /** True when Kubernetes marks the field required (no omitempty / +required). */
  required?: boolean;
  /** Strategic merge patch: the key that identifies list elements, e.g. "name". */
  patchMergeKey?: string;
  /** Strategic merge patch strategy: "merge", "retainKeys" or "merge,retainKeys". */
  patchStrategy?: string;
  /** For `integer`: "int32" or "int64" (OpenAPI format); for `time`: "micro" for metav1.MicroTime. */
  format?: string;
  /** For `string`: the allowed values, when closed (OpenAPI enum). */
  enum?: string[];
}

/** A type: its fields in JSON order. */
export type TypeSchema = Record<string, FieldSchema>;

// Builders that keep the tables short.
/** string */
export const S: FieldSchema = { type: 'string' };
/** int32 */
export const I: FieldSchema = { type: 'integer', format: 'int32' };
/** int64 */
export const I64: FieldSchema = { type: 'integer', format: 'int64' };
/** boolean */
export const B: FieldSchema = { type: 'boolean' };
/** number (float) */
export const N: FieldSchema = { type: 'number' };
/** resource.Quantity */
export const Q: FieldSchema = { type: 'quantity' };
/** metav1.Time / MicroTime */
export const T: FieldSchema = { type: 'time' };
/** metav1.MicroTime (RFC 3339 with microseconds) */
export const MT: FieldSchema = { type: 'time', format: 'micro' };
/** intstr.IntOrString */
export const IOS: FieldSchema = { type: 'intOrString' };
/** arbitrary JSON (runtime.RawExtension, untyped) */
export const ANY: FieldSchema = { type: 'any' };
/** A reference to another type. */
export const ref = (name: string): FieldSchema => ({ type: 'object', ref: name });
/** A list. */
export const arr = (items: FieldSchema): FieldSchema => ({ type: 'array', items });
/** A map with string keys. */
export const map = (items: FieldSchema): FieldSchema => ({ type: 'map', items });
/** map[string]string */
export const SMAP: FieldSchema = map(S);
/** []string */
export const SARR: FieldSchema = arr(S);
/** Marks a field required. */
export const req = (f: FieldSchema): FieldSchema => ({ ...f, required: true });
/** A list merged by key in strategic merge patch. */
export const mergeBy = (key: string, f: FieldSchema, strategy = 'merge'): FieldSchema => ({
  ...f,
  patchMergeKey: key,
  patchStrategy: strategy,
});
/** A primitive list merged as a set in strategic merge patch (finalizers, podCIDRs). */
export const mergeSet = (f: FieldSchema): FieldSchema => ({ ...f, patchStrategy: 'merge' });
