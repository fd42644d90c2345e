/**
 * The subset of @keelson/store's `KV` contract (etcd v3 KV model) the apiserver relies on, spelled
 * out structurally so any KV (MvccStore, RemoteStore, {@link MemoryKV}) fits. Field names and
 * semantics follow packages/store/src/types.ts.
 */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
}
export interface RangeOptions {
  end?: string;
  prefix?: boolean;
  limit?: number;
  revision?: number;
  countOnly?: boolean;
  keysOnly?: boolean;
}
export interface RangeResult {
  kvs: KeyValue[];
  count: number;
  more: boolean;
  revision: number;
}
export interface Compare {
  key: string;
  target: 'value' | 'version' | 'createRevision' | 'modRevision';
  result: '=' | '!=' | '<' | '>';
  value: Uint8Array | number;
}
export type TxnOp =
  | { type: 'put'; key: string; value: Uint8Array }
  | { type: 'delete'; key: string; end?: string; prefix?: boolean }
  | { type: 'range'; key: string; options?: RangeOptions };
export interface TxnResult {
  succeeded: boolean;
  revision: number;
  responses: Array<
    | { type: 'put'; prevKv?: KeyValue }
    | { type: 'delete'; deleted: number; prevKvs: KeyValue[] }
    | { type: 'range'; result: RangeResult }
  >;
}
export interface KvWatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  prevKv?: KeyValue;
}
export interface WatchOptions {
  end?: string;
  prefix?: boolean;
  startRevision?: number;
  prevKv?: boolean;
  progressNotify?: boolean;
}
export interface WatchHandle {
  readonly id: number;
  cancel(): void;
}
export interface WatchCallbacks {
  onEvents(events: KvWatchEvent[], revision: number): void;
  onProgress?(revision: number): void;
  onError(err: Error): void;
}
/** The store API (etcd v3 KV + Watch + compact), as @keelson/store defines it. */
export interface KV {
  put(
    key: string,
    value: Uint8Array,
    opts?: { prevKv?: boolean },
  ): Promise<{ revision: number; prevKv?: KeyValue }>;
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  range(key: string, opts?: RangeOptions): Promise<RangeResult>;
  delete(
    key: string,
    opts?: { end?: string; prefix?: boolean; prevKv?: boolean },
  ): Promise<{ revision: number; deleted: number; prevKvs: KeyValue[] }>;
  txn(compares: Compare[], success: TxnOp[], failure: TxnOp[]): Promise<TxnResult>;
  watch(key: string, opts: WatchOptions, cb: WatchCallbacks): WatchHandle;
  compact(revision: number): Promise<void>;
  currentRevision(): Promise<number>;
  compactRevision(): Promise<number>;
  close(): Promise<void>;
}
