/**
 * Strategic merge patch for the fake clientset (Kubernetes "Strategic Merge Patch" design:
 * docs/devel/sig-api-machinery/strategic-merge-patch.md), driven by @keelson/api's schema
 * metadata (patchMergeKey / patchStrategy per field):
 * - maps merge recursively; `null` deletes a field;
 * - lists with patchStrategy "merge" and a patchMergeKey merge element-wise by that key
 *   (e.g. containers by name, conditions by type); an element `{ <key>: x, $patch: delete }`
 *   removes it; primitive lists with "merge" (e.g. finalizers) are merged as sets;
 * - every other list is replaced;
 * - directives: `$patch: replace` (replace the map), `$patch: delete` (drop the map),
 *   `$retainKeys`, `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` is accepted
 *   and ignored (order is kept as merged).
 * Objects of kinds without a schema are merged as JSON merge patches.
 */
import { schemaTypeFor, schemas, type FieldSchema, type TypeSchema } from '@keelson/api';

type Json = unknown;
type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeOf(field: FieldSchema | undefined): TypeSchema | undefined {
  let cur = field;
  while (cur && (cur.type === 'array' || cur.type === 'map')) cur = cur.items;
  return cur?.type === 'object' && cur.ref ? schemas[cur.ref] : undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function mergeList(orig: unknown, patch: unknown[], field: FieldSchema): unknown[] {
  const base = Array.isArray(orig) ? [...orig] : [];
  const key = field.patchMergeKey;
  const itemType = typeOf(field);
  if (!key) {
    // primitive list merged as a set
    for (const v of patch) if (!base.some((b) => deepEqual(b, v))) base.push(v);
    return base;
  }
  for (const item of patch) {
    if (!isObject(item)) {
      base.push(item);
      continue;
    }
    const idx = base.findIndex((b) => isObject(b) && deepEqual(b[key], item[key]));
    if (item.$patch === 'delete') {
      if (idx >= 0) base.splice(idx, 1);
      continue;
    }
    if (idx >= 0) base[idx] = mergeObject(base[idx], item, itemType);
    else base.push(stripDirectives(item));
  }
  return base;
}

function mergeObject(orig: unknown, patch: JsonObject, type: TypeSchema | undefined): Json {
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: JsonObject = isObject(orig) ? { ...orig } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f]) && Array.isArray(v))
        out[f] = (out[f] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (k.startsWith('$')) continue;
    const field = type?.[k];
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] =
        field?.type === 'array' && field.patchStrategy?.split(',').includes('merge')
          ? mergeList(out[k], v, field)
          : stripDirectives(v);
    } else if (isObject(v)) {
      if (v.$patch === 'delete') delete out[k];
      else if (field?.type === 'map') {
        // map values: merge each entry with the value type's rules
        const m: JsonObject = isObject(out[k]) ? { ...(out[k] as JsonObject) } : {};
        const valueType = typeOf(field);
        for (const [mk, mv] of Object.entries(v)) {
          if (mk.startsWith('$')) continue;
          if (mv === null) delete m[mk];
          else m[mk] = isObject(mv) ? mergeObject(m[mk], mv, valueType) : mv;
        }
        out[k] = m;
      } else out[k] = mergeObject(out[k], v, typeOf(field));
    } else {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Applies a strategic merge patch to `orig` (a Kubernetes object; its apiVersion/kind select the
 * schema, or pass `typeName`, e.g. "io.k8s.api.core.v1.Pod" as listed in @keelson/api schemas).
 */
export function strategicMergePatch<T>(orig: T, patch: Record<string, unknown>, typeName?: string): T {
  const o = orig as { apiVersion?: string; kind?: string };
  const name = typeName ?? (o.apiVersion && o.kind ? schemaTypeFor(o.apiVersion, o.kind) : undefined);
  return mergeObject(structuredClone(orig), patch, name ? schemas[name] : undefined) as T;
}
