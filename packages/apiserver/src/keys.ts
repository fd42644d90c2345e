/**
 * Storage keys, as upstream kube-apiserver lays them out in etcd:
 * `/registry/<resource>/<namespace>/<name>` for namespaced kinds, `/registry/<resource>/<name>`
 * for cluster-scoped ones; services live under `/registry/services/specs/` and nodes under
 * `/registry/minions/` (upstream's historical prefixes).
 */
import { resources, type ResourceInfo } from '@keelson/api';

/** The root of every object key. */
export const REGISTRY_ROOT = '/registry/';

const PREFIX_OVERRIDES: Record<string, string> = { services: 'services/specs', nodes: 'minions' };

/** The key prefix of a resource ("/registry/pods/"). */
export function resourcePrefix(info: ResourceInfo): string {
  return `${REGISTRY_ROOT}${PREFIX_OVERRIDES[info.resource] ?? info.resource}/`;
}

/** Key prefix of a collection: the resource prefix, narrowed to one namespace when given. */
export function collectionPrefix(info: ResourceInfo, namespace?: string): string {
  const p = resourcePrefix(info);
  return info.namespaced && namespace ? `${p}${namespace}/` : p;
}

/** The key of one object. */
export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}

const byPrefix: Array<[string, ResourceInfo]> = resources
  .map((r) => [resourcePrefix(r), r] as [string, ResourceInfo])
  .sort((a, b) => b[0].length - a[0].length);

/** The resource whose prefix a key falls under, or undefined. */
export function resourceOfKey(key: string): ResourceInfo | undefined {
  for (const [p, r] of byPrefix) if (key.startsWith(p)) return r;
  return undefined;
}
