/**
 * The client contract every controller-like component codes against (the client-go roles):
 * a Clientset of per-resource clients, over gRPC to the apiserver or in memory for tests.
 * Objects are plain Kubernetes JSON objects typed by @keelson/api.
 */
import type { DeleteOptions, KubeList, KubeObject, ResourceInfo, Status, WatchEvent } from '@keelson/api';

/** metav1.ListOptions for list and watch. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** "" or undefined: most recent; "0": any; otherwise exact/not-older-than per resourceVersionMatch. */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** Page size; 0 or undefined: no limit. */
  limit?: number;
  continue?: string;
  allowWatchBookmarks?: boolean;
  /** Server-side watch timeout, seconds. */
  timeoutSeconds?: number;
}

/** metav1.CreateOptions / UpdateOptions / PatchOptions. */
export interface WriteOptions {
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  dryRun?: boolean;
}

/** The four patch media types, by their short names. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** A running watch; `stop()` cancels it (idempotent). */
export interface WatchHandle {
  stop(): void;
}

/** Callbacks of a watch. Events arrive in resourceVersion order. */
export interface WatchHandlers<T extends KubeObject> {
  onEvent(event: WatchEvent<T>): void;
  /**
   * Called once when the watch ends: without error after `stop()` or a server timeout, with an
   * ApiError (e.g. code 410 reason Expired for a compacted resourceVersion) or a transport error.
   */
  onClose?(err?: Error): void;
}

/**
 * A client for one resource (e.g. pods). `namespace` is ignored for cluster-scoped resources;
 * for list/watch/deleteCollection an empty or undefined namespace means all namespaces.
 * Every method rejects with {@link ApiError} when the apiserver answers a Status failure.
 */
export interface ResourceClient<T extends KubeObject = KubeObject> {
  readonly info: ResourceInfo;
  get(namespace: string | undefined, name: string): Promise<T>;
  list(namespace?: string, opts?: ListOptions): Promise<KubeList<T>>;
  /** Creates the object in `obj.metadata.namespace`. */
  create(obj: T, opts?: WriteOptions): Promise<T>;
  /** Replaces the object; fails with 409 Conflict if metadata.resourceVersion is stale. */
  update(obj: T, opts?: WriteOptions): Promise<T>;
  /** Replaces the status subresource (spec changes are ignored by the server). */
  updateStatus(obj: T, opts?: WriteOptions): Promise<T>;
  /** Patches the object (or a subresource such as "status" or "scale"). */
  patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts?: WriteOptions & { subresource?: string; force?: boolean },
  ): Promise<T>;
  /** Deletes; resolves with the object (graceful/finalizers pending) or a Success Status. */
  delete(namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<T | Status>;
  deleteCollection(
    namespace: string | undefined,
    listOpts?: ListOptions,
    opts?: DeleteOptions,
  ): Promise<KubeList<T>>;
  watch(namespace: string | undefined, opts: ListOptions, handlers: WatchHandlers<T>): WatchHandle;
  /** GET of a subresource, e.g. "scale". */
  getSubresource<R = unknown>(namespace: string | undefined, name: string, subresource: string): Promise<R>;
  /** POST to a subresource, e.g. "binding" (pods/binding) or "eviction". */
  createSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<R>;
  /** PUT to a subresource, e.g. "scale" or "status". */
  updateSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<R>;
}

/** Everything a component needs to reach the cluster. */
export interface Clientset {
  /**
   * The client for a resource, named by plural ("pods"), kind ("Pod"), singular or short name,
   * optionally with an apiVersion ("apps/v1"). Throws if the resource is unknown.
   */
  resource<T extends KubeObject = KubeObject>(name: string, apiVersion?: string): ResourceClient<T>;
  /** GET /version's document ({ major, minor, gitVersion, ... }). */
  version(): Promise<Record<string, string>>;
  /** Closes connections; pending watches end with onClose(). */
  close(): void;
}
