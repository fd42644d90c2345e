/** Small helpers over object metadata: keys, owner references, deep copies. */
import type { KubeObject, OwnerReference } from '@keelson/api';

/** The cache key of an object: "namespace/name", or "name" when cluster-scoped. */
export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

/** Splits a key into namespace ("" for cluster-scoped) and name. */
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

/** The ownerReference with controller=true, if any (metav1.GetControllerOf). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

/**
 * An ownerReference naming `owner` as the controller, with blockOwnerDeletion (metav1.NewControllerRef).
 */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A deep copy through JSON (objects here are always plain JSON). */
export function clone<T>(o: T): T {
  return o === undefined ? o : (JSON.parse(JSON.stringify(o)) as T);
}

/** True when the object is being deleted. */
export function isDeleting(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp;
}

/** Stable JSON (sorted keys) for hashing and deep equality. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}

/** Deep equality of plain JSON values (key order ignored, undefined fields ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}
