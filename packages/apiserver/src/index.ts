/**
 * @keelson/apiserver: the Kubernetes API server of Keelson — REST/JSON for kubectl, gRPC with
 * streaming watch, on a pluggable {@link Storage} (embedded store, remote keelson-store, etcd).
 */
export { startApiServer, type ApiServerOptions, type RunningApiServer } from './server';
export { writeKubeconfig, kubeconfigDocument, GRPC_EXTENSION_NAME } from './kubeconfig';
export {
  TokenAuthenticator,
  parseTokenAuthFile,
  loadTokenAuthFile,
  isAnonymousPath,
  isLocalConnection,
  unauthorized,
  AUTHENTICATED_GROUP,
  type UserInfo,
} from './authn';
export {
  ApiHandler,
  type ResourceRef,
  type HandlerResult,
  toScale,
  formatLabelSelector,
} from './api-handler';
export {
  GenericRegistry,
  type ListOptions,
  type WriteOptions,
  type WriteResult,
  type DeleteResult,
} from './registry/generic-registry';
export { WatchCache, type CacheEvent, type CacheSink, type CacheWatchOptions } from './watch-cache';
export type {
  Storage,
  StoredValue,
  ListResult,
  StorageEvent,
  StorageWatchCallbacks,
} from './storage/interfaces';
export type { KV } from './storage/kv-types';
export { KvStorage } from './storage/kv-storage';
export { MemoryKV, prefixEnd } from './storage/memory-kv';
export { openStorage } from './storage/open-storage';
export { IpAllocator, PortAllocator, AllocationError } from './registry/allocators';
export {
  STATUS_METADATA_KEY,
  WARNING_METADATA_KEY,
  grpcCodeFor,
  toGrpcError,
  startGrpcServer,
  apiServerImplementation,
  withAuthentication,
} from './grpc/server';
export { KUBE_VERSION, versionInfo } from './rest/discovery';
export { objectKey, resourcePrefix, collectionPrefix, REGISTRY_ROOT } from './keys';
export * from './errors';
