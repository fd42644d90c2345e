/**
 * The KV contract the apiserver's storage layer runs on: @keelson/store's (etcd v3 KV model),
 * which MvccStore, RemoteStore, ReplicatedStore and {@link MemoryKV} all implement.
 */
export type {
  Compare,
  KV,
  KeyValue,
  RangeOptions,
  RangeResult,
  TxnOp,
  TxnResult,
  WatchCallbacks,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from '@keelson/store';
