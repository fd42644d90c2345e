/**
 * Indexes over a cache of objects (client-go `tools/cache/index.go`): an index function maps an
 * object to the values it is filed under (e.g. its namespace, its node name); the store keeps,
 * per index, value → set of object keys.
 */
import type { KubeObject } from '@keelson/api';

/** Maps an object to the index values it is filed under (none: not indexed). */
export type IndexFunc<T> = (obj: T) => string[];

/** Named index functions. */
export type Indexers<T> = Record<string, IndexFunc<T>>;

/** The name of the index every informer has: objects by metadata.namespace. */
export const NAMESPACE_INDEX = 'namespace';

/** Files an object under its namespace ("" for cluster-scoped objects) — MetaNamespaceIndexFunc. */
export function namespaceIndexFunc(obj: KubeObject): string[] {
  return [obj.metadata?.namespace ?? ''];
}

/** A keyed object cache with secondary indexes (client-go cache.Indexer). */
export interface Indexer<T> {
  /** The object stored under `key` ("namespace/name" or "name"). */
  get(key: string): T | undefined;
  /** All objects, in no particular order. */
  list(): T[];
  /** All keys. */
  listKeys(): string[];
  /** Number of objects. */
  size(): number;
  /** Objects filed under `indexedValue` in index `indexName`. Throws Error for an unknown index. */
  byIndex(indexName: string, indexedValue: string): T[];
  /** Keys filed under `indexedValue` in index `indexName`. Throws Error for an unknown index. */
  indexKeys(indexName: string, indexedValue: string): string[];
  /** Objects sharing any of `obj`'s values in index `indexName`. */
  index(indexName: string, obj: T): T[];
  /** The values present in index `indexName`. */
  listIndexFuncValues(indexName: string): string[];
  /** Adds index functions; existing objects are indexed at once. Throws if a name is taken. */
  addIndexers(indexers: Indexers<T>): void;
}
