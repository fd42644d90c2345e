/**
 * PATCH bodies: JSON patch (RFC 6902, via fast-json-patch), JSON merge patch (RFC 7386) and
 * strategic merge patch (Kubernetes "strategic-merge-patch" semantics: lists merged by their
 * patchMergeKey, `$patch: delete|replace|merge` directives, `$deleteFromPrimitiveList/<f>`,
 * `$retainKeys`; `$setElementOrder/<f>` is accepted and ignored). Server-side apply bodies
 * (application/apply-patch+yaml) are merged like a strategic merge patch.
 */
import * as jsonpatch from 'fast-json-patch';
import { schemas, schemaTypeFor, type FieldSchema } from '@keelson/api';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, failure } from '../errors';

/** The patch media types the API accepts. */
export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

type Json = any;

function isObj(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const result: Record<string, Json> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

/**
 * Patch metadata of a list field: its merge key (lists of objects merged by key) or 'merge' for
 * primitive lists merged as sets. Lists with neither are replaced. Mirrors the patchMergeKey /
 * patchStrategy tags of k8s.io/api types.
 */
export interface ListPatchMeta {
  mergeKey?: string;
  strategy?: 'merge' | 'replace';
}

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  addresses: 'type',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  taints: 'key',
  images: 'names',
  secrets: 'name',
};

/** Looks up the patch metadata of list field `field` given sample elements (ports are contextual). */
export function listPatchMeta(field: string, sample: Json[]): ListPatchMeta {
  if (field === 'finalizers') return { strategy: 'merge' };
  if (field === 'ports') {
    const first = sample.find(isObj);
    if (first && 'containerPort' in first) return { mergeKey: 'containerPort', strategy: 'merge' };
    if (first && 'port' in first) return { mergeKey: 'port', strategy: 'merge' };
    return {};
  }
  const key = MERGE_KEYS[field];
  return key ? { mergeKey: key, strategy: 'merge' } : {};
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isObj(x) && x.$patch)).map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) {
    if (
      k === '$patch' ||
      k === '$retainKeys' ||
      k.startsWith('$setElementOrder/') ||
      k.startsWith('$deleteFromPrimitiveList/')
    )
      continue;
    if (x === null) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

/** Patch metadata of a list field from the schema table when the type is known, else the built-in table. */
function metaFor(field: string, fs: FieldSchema | undefined, sample: Json[]): ListPatchMeta {
  if (fs && fs.type === 'array') {
    if (!fs.patchStrategy || !fs.patchStrategy.includes('merge')) return {};
    return fs.patchMergeKey ? { mergeKey: fs.patchMergeKey, strategy: 'merge' } : { strategy: 'merge' };
  }
  return listPatchMeta(field, sample);
}

function childType(fs: FieldSchema | undefined): string | undefined {
  if (!fs) return undefined;
  if (fs.type === 'object') return fs.ref;
  if (fs.type === 'array' && fs.items?.type === 'object') return fs.items.ref;
  return undefined;
}

function mergeList(field: string, orig: Json[], patch: Json[], fs?: FieldSchema): Json[] {
  const meta = metaFor(field, fs, [...patch, ...orig]);
  const elType = childType(fs);
  if (patch.some((x) => isObj(x) && x.$patch === 'replace'))
    return stripDirectives(patch.filter((x) => !(isObj(x) && x.$patch === 'replace')));
  if (!meta.mergeKey) {
    if (meta.strategy === 'merge') {
      const out = [...orig];
      for (const x of patch) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
      return out;
    }
    return stripDirectives(patch);
  }
  const key = meta.mergeKey;
  const out: Json[] = orig.map((x) => x);
  for (const el of patch) {
    if (!isObj(el)) {
      out.push(el);
      continue;
    }
    const idx = out.findIndex((x) => isObj(x) && x[key] === el[key]);
    if (el.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], el, elType);
    else out.push(stripDirectives(el));
  }
  return out;
}

/**
 * Applies a strategic merge patch to `orig` (which is not modified). `typeName` names the schema
 * type of `orig` in @keelson/api's table (e.g. "Deployment"); list merge keys come from it, and
 * from a built-in table for types it lacks. Defaults to the type of orig's apiVersion/kind.
 */
export function strategicMergePatch(orig: Json, patch: Json, typeName?: string): Json {
  if (
    typeName === undefined &&
    isObj(orig) &&
    typeof orig.apiVersion === 'string' &&
    typeof orig.kind === 'string'
  )
    typeName = schemaTypeFor(orig.apiVersion, orig.kind);
  const fields = typeName ? schemas[typeName] : undefined;
  if (!isObj(patch)) return patch;
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const result: Record<string, Json> = isObj(orig) ? { ...orig } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[f]) && Array.isArray(v))
        result[f] = result[f].filter((x: Json) => !v.includes(x));
      continue;
    }
    const fs = fields?.[k];
    if (v === null) delete result[k];
    else if (Array.isArray(v))
      result[k] = Array.isArray(result[k]) ? mergeList(k, result[k], v, fs) : stripDirectives(v);
    else if (isObj(v)) {
      let r: Json;
      if (fs?.type === 'map' && v.$patch === 'replace') r = stripDirectives(v);
      else if (fs?.type === 'map' && v.$patch === 'delete') r = undefined;
      else if (fs?.type === 'map') {
        const base: Record<string, Json> = isObj(result[k]) ? { ...result[k] } : {};
        for (const [mk, mv] of Object.entries(v)) {
          if (mk === '$patch') continue;
          if (mv === null) delete base[mk];
          else
            base[mk] = isObj(mv)
              ? strategicMergePatch(base[mk], mv, fs.items?.type === 'object' ? fs.items.ref : '')
              : mv;
        }
        r = base;
      } else r = strategicMergePatch(result[k], v, fields ? (childType(fs) ?? '') : undefined);
      if (r === undefined) delete result[k];
      else result[k] = r;
    } else result[k] = v;
  }
  if (Array.isArray(patch.$retainKeys))
    for (const k of Object.keys(result)) if (!patch.$retainKeys.includes(k)) delete result[k];
  return result;
}

/** Parses a patch body: JSON for the JSON types, YAML (a JSON superset) for apply. Throws 400. */
export function parsePatch(patchType: string, body: Buffer): Json {
  const text = body.toString('utf8');
  try {
    if (patchType === 'application/apply-patch+yaml') return parseYaml(text);
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

/**
 * Applies a patch of `patchType` to `current`, returning the new document. Errors: 415 for an
 * unknown type, 400 for a malformed patch, 422 when a JSON patch cannot be applied.
 */
export function applyPatch(patchType: string, current: Json, body: Buffer | Json, parsed = false): Json {
  const patch = parsed ? body : parsePatch(patchType, body as Buffer);
  switch (patchType) {
    case 'application/json-patch+json': {
      if (!Array.isArray(patch))
        throw badRequest('error decoding patch: a JSON patch must be an array of operations');
      try {
        const doc = structuredClone(current);
        return jsonpatch.applyPatch(doc, patch as jsonpatch.Operation[], true, true).newDocument;
      } catch (err) {
        throw new ApiError(
          failure(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: ${(err as Error).message.split('\n')[0]}`,
          ),
        );
      }
    }
    case 'application/merge-patch+json':
      if (!isObj(patch)) throw badRequest('error decoding patch: a merge patch must be a JSON object');
      return mergePatch(current, patch);
    case 'application/strategic-merge-patch+json':
    case 'application/apply-patch+yaml':
      if (!isObj(patch))
        throw badRequest('error decoding patch: a strategic merge patch must be a JSON object');
      return strategicMergePatch(current, patch);
    default:
      throw new ApiError(
        failure(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
        ),
      );
  }
}
