/** Resource lookup shared by the gRPC and the fake clientsets. */
import { findResource, groupVersion, type KubeObject, type ResourceInfo } from '@keelson/api';
import { ClientConfigError } from './errors';

/**
 * Resolves a resource by plural, kind, singular or short name (optionally with an apiVersion),
 * first in `extra` (e.g. custom resources), then in @keelson/api's registry.
 * Throws ClientConfigError when nothing matches.
 */
export function resolveResource(
  name: string,
  apiVersion?: string,
  extra: readonly ResourceInfo[] = [],
): ResourceInfo {
  const lower = name.toLowerCase();
  const own = extra.find(
    (x) =>
      (apiVersion === undefined || groupVersion(x) === apiVersion) &&
      (x.kind === name || x.resource === lower || x.singular === lower || x.shortNames.includes(lower)),
  );
  const info = own ?? findResource(name, apiVersion);
  if (!info) {
    throw new ClientConfigError(
      `the server doesn't have a resource type "${name}"${apiVersion ? ` in ${apiVersion}` : ''}`,
    );
  }
  return info;
}

/**
 * The cache key of an object, as client-go's MetaNamespaceKeyFunc: "namespace/name", or "name"
 * for cluster-scoped objects (no namespace).
 */
export function metaNamespaceKey(obj: Pick<KubeObject, 'metadata'>): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** Splits a key made by {@link metaNamespaceKey} into namespace ("" when none) and name. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
