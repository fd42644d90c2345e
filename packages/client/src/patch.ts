/**
 * Patch application for the fake clientset: JSON patch (RFC 6902, via fast-json-patch), JSON
 * merge patch (RFC 7386) and strategic merge patch (strategic-merge.ts, list merge keys from
 * @keelson/api's schemas). Apply patches are applied as merge patches here (no field
 * ownership) — the real apiserver implements server-side apply.
 */
import * as jsonpatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import type { PatchType } from './interfaces';
import { newBadRequest, ApiError } from './errors';
import { strategicMergePatch } from './strategic-merge';

const jp: typeof jsonpatch = (jsonpatch as unknown as { applyPatch?: unknown }).applyPatch
  ? jsonpatch
  : (jsonpatch as unknown as { default: typeof jsonpatch }).default;

/** The media type the wire carries for each PatchType (PatchRequest.patch_type). */
export const PATCH_MEDIA_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Decodes a patch given as a JSON string or Buffer; passes objects/arrays through. */
export function decodePatch(patch: unknown): unknown {
  if (typeof patch === 'string') return JSON.parse(patch);
  if (patch instanceof Uint8Array) return JSON.parse(Buffer.from(patch).toString('utf8'));
  return patch;
}

/**
 * Applies a patch of the given type to a copy of `obj` and returns the result.
 * Throws ApiError 400 for malformed patches and 422 Invalid when a JSON patch operation fails
 * (e.g. a failed `test` op), as the apiserver does.
 */
export function applyPatchOfType<T>(obj: T, type: PatchType, patch: unknown): T {
  let decoded: unknown;
  try {
    // apply patches are YAML (a superset of JSON)
    decoded =
      type === 'apply' && (typeof patch === 'string' || patch instanceof Uint8Array)
        ? parseYaml(typeof patch === 'string' ? patch : Buffer.from(patch).toString('utf8'))
        : decodePatch(patch);
  } catch (e) {
    throw newBadRequest(`invalid patch: ${(e as Error).message}`);
  }
  if (type === 'json') {
    if (!Array.isArray(decoded)) throw newBadRequest('json patch must be an array of operations');
    try {
      return jp.applyPatch(structuredClone(obj), decoded as jsonpatch.Operation[], true, false)
        .newDocument as T;
    } catch (e) {
      throw new ApiError({
        code: 422,
        reason: 'Invalid',
        message: `the server rejected our request due to an error in our request: ${(e as Error).message}`,
      });
    }
  }
  if (!isPlainObject(decoded)) throw newBadRequest(`${type} patch must be a JSON object`);
  if (type === 'strategic') return strategicMergePatch(obj, decoded);
  return applyMergePatch(obj, decoded) as T;
}
