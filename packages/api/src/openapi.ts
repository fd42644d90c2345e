/**
 * OpenAPI renderings of the schema table, for the apiserver's /openapi/v3 and /openapi/v2
 * documents (kubectl reads them for `apply` patch metadata, `explain` and client-side validation).
 * Definition names follow Kubernetes ("io.k8s.api.core.v1.Pod"); list fields carry
 * x-kubernetes-patch-merge-key / x-kubernetes-patch-strategy; root kinds carry
 * x-kubernetes-group-version-kind.
 */
import { rootKinds, schemas, typePackages, type FieldSchema } from './schema/index';

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';

/** The OpenAPI definition name of a schema type, e.g. "PodSpec" → "io.k8s.api.core.v1.PodSpec". */
export function openAPIDefinitionName(typeName: string): string {
  if (typeName === 'EndpointSlicePort') return 'io.k8s.api.discovery.v1.EndpointPort';
  return `${typePackages[typeName] ?? 'io.k8s.keelson'}.${typeName}`;
}

type Json = Record<string, unknown>;

function field(f: FieldSchema, ref: (name: string) => string): Json {
  let out: Json;
  switch (f.type) {
    case 'string':
      out = { type: 'string' };
      if (f.enum) out.enum = f.enum;
      break;
    case 'integer':
      out = { type: 'integer', format: f.format ?? 'int64' };
      break;
    case 'number':
      out = { type: 'number', format: 'double' };
      break;
    case 'boolean':
      out = { type: 'boolean' };
      break;
    case 'quantity':
      out = { $ref: ref(QUANTITY) };
      break;
    case 'intOrString':
      out = { $ref: ref(INT_OR_STRING) };
      break;
    case 'time':
      out = { $ref: ref(f.format === 'micro' ? MICRO_TIME : TIME) };
      break;
    case 'any':
      out = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      break;
    case 'array':
      out = { type: 'array', items: field(f.items!, ref) };
      break;
    case 'map':
      out = { type: 'object', additionalProperties: field(f.items!, ref) };
      break;
    case 'object':
      out = { $ref: ref(openAPIDefinitionName(f.ref!)) };
      break;
  }
  if (f.patchStrategy) out['x-kubernetes-patch-strategy'] = f.patchStrategy;
  if (f.patchMergeKey) {
    out['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
    out['x-kubernetes-list-type'] = 'map';
    out['x-kubernetes-list-map-keys'] = [f.patchMergeKey];
  }
  return out;
}

function render(ref: (name: string) => string): Record<string, Json> {
  const out: Record<string, Json> = {
    [QUANTITY]: {
      type: 'string',
      description: 'Quantity is a fixed-point representation of a number, e.g. "100m", "128Mi".',
    },
    [INT_OR_STRING]: { type: 'string', format: 'int-or-string', description: 'An int32 or a string.' },
    [TIME]: {
      type: 'string',
      format: 'date-time',
      description: 'RFC 3339 date and time at second precision.',
    },
    [MICRO_TIME]: {
      type: 'string',
      format: 'date-time',
      description: 'RFC 3339 date and time with microseconds.',
    },
  };
  const gvks = new Map<string, { group: string; version: string; kind: string }[]>();
  for (const { apiVersion, kind } of rootKinds()) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const list = gvks.get(kind) ?? [];
    list.push({ group, version, kind });
    gvks.set(kind, list);
  }
  for (const [name, fields] of Object.entries(schemas)) {
    const def: Json = { type: 'object', properties: {} };
    const props = def.properties as Record<string, Json>;
    const required: string[] = [];
    for (const [f, fs] of Object.entries(fields)) {
      props[f] = field(fs, ref);
      if (fs.required) required.push(f);
    }
    if (required.length) def.required = required;
    const g = gvks.get(name);
    if (g && 'metadata' in fields) def['x-kubernetes-group-version-kind'] = g;
    out[openAPIDefinitionName(name)] = def;
  }
  return out;
}

/** OpenAPI v3 `components.schemas` for every type (refs as "#/components/schemas/<name>"). */
export function openAPIV3Schemas(): Record<string, Json> {
  return render((n) => `#/components/schemas/${n}`);
}

/** Swagger 2.0 `definitions` for every type (refs as "#/definitions/<name>"). */
export function openAPIV2Definitions(): Record<string, Json> {
  return render((n) => `#/definitions/${n}`);
}
