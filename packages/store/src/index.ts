// @keelson/store public API: the KV contract, the local LevelDB store, the gRPC server and client.
export type {
  KeyValue,
  RangeOptions,
  RangeResult,
  Compare,
  TxnOp,
  TxnResult,
  WatchEvent,
  WatchOptions,
  WatchHandle,
  WatchCallbacks,
  KV,
} from './types';
export { MvccStore, type MvccStoreOptions } from './mvcc-store';
export { MvccState, normalizeTxn, type NormalTxn, type Applied, type Change } from './mvcc-state';
export { RemoteStore, type RemoteStoreOptions } from './grpc/remote-store';
export { startStoreServer, type StoreServer, type StoreServerOptions } from './grpc/server';
export { MAX_VALUE_BYTES, MAX_TXN_OPS } from './span';
export {
  StoreError,
  InvalidArgumentError,
  EmptyKeyError,
  ValueTooLargeError,
  InvalidRangeError,
  DuplicateKeyError,
  CompactedError,
  FutureRevisionError,
  StoreClosedError,
  StoreFailedError,
  StoreUnavailableError,
} from './errors';
export {
  ReplicatedStore,
  type ReplicatedStoreOptions,
  type ReplicatedRangeOptions,
  type MemberInfo,
} from './replication/replicated-store';
export {
  startReplicatedMember,
  raftPeerService,
  memberCall,
  type ReplicatedMember,
  type ClusterView,
} from './replication/member';
