// The store's TypeScript contract (etcd v3 KV model). MvccStore (local LevelDB) and RemoteStore
// (gRPC client of keelson-store) both implement KV, so the apiserver can use either.

/** One key at one revision (etcd mvccpb.KeyValue). */
export interface KeyValue {
  /** The key; never empty. */
  key: string;
  /** The value; empty for keys-only ranges and delete events. */
  value: Uint8Array;
  /** Revision of the put that created this key (after its last delete); 0 in delete events. */
  createRevision: number;
  /** Revision of the last change to this key (the Kubernetes resourceVersion). */
  modRevision: number;
  /** Puts since creation: 1 after the create, +1 per put; 0 in delete events. */
  version: number;
}

/**
 * Which keys a range reads and how. Without `end` or `prefix` the range is the single `key`.
 * `end` is exclusive; `end: '\0'` means every key >= `key` (etcd convention). `prefix` selects
 * every key starting with `key` (`key: ''` with `prefix` = every key). Keys compare by UTF-16 code
 * units (= byte order for ASCII keys).
 */
export interface RangeOptions {
  end?: string;
  prefix?: boolean;
  /** Maximum number of kvs returned; 0 or absent = no limit. */
  limit?: number;
  /** Read the keys as they were at this revision; 0 or absent = current revision. */
  revision?: number;
  /** Return only `count`, no kvs. */
  countOnly?: boolean;
  /** Return kvs with empty values. */
  keysOnly?: boolean;
}

/** Result of a range. */
export interface RangeResult {
  /** Matching keys in key order, at most `limit`. */
  kvs: KeyValue[];
  /** Number of keys in the range, ignoring `limit`. */
  count: number;
  /** True when `limit` cut the result (count > kvs.length). */
  more: boolean;
  /** The store's current revision when the range was served (etcd response header revision). */
  revision: number;
}

/**
 * A txn guard (etcd Compare). A missing key has version, createRevision and modRevision 0; a
 * `value` compare on a missing key is false whatever the operator. `value` is a Uint8Array for
 * target 'value' (compared bytewise) and a number otherwise.
 */
export interface Compare {
  key: string;
  target: 'value' | 'version' | 'createRevision' | 'modRevision';
  result: '=' | '!=' | '<' | '>';
  value: Uint8Array | number;
}

/**
 * One operation of a txn. Reads see the writes made earlier in the same txn (etcd semantics).
 * A `range` op inside a txn reads the current state (its `options.revision` must be absent or 0).
 */
export type TxnOp =
  | {
      type: 'put';
      key: string;
      value: Uint8Array;
      /** return the previous value in the response */ prevKv?: boolean;
    }
  | {
      type: 'delete';
      key: string;
      end?: string;
      prefix?: boolean;
      /** return deleted values in prevKvs */ prevKv?: boolean;
    }
  | { type: 'range'; key: string; options?: RangeOptions };

/** Result of a txn: which branch ran, its revision, one response per op of that branch. */
export interface TxnResult {
  /** True when every compare held and the success ops ran. */
  succeeded: boolean;
  /** The txn's revision if it changed anything, else the current revision. */
  revision: number;
  responses: Array<
    | { type: 'put'; prevKv?: KeyValue }
    | { type: 'delete'; deleted: number; prevKvs: KeyValue[] }
    | { type: 'range'; result: RangeResult }
  >;
}

/** A change delivered by watch. For a delete, kv holds the key and the delete revision only. */
export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  /** The key's previous value, when the watch asked for prevKv and history still has it. */
  prevKv?: KeyValue;
}

/** What a watch covers and from where. Key range rules are those of {@link RangeOptions}. */
export interface WatchOptions {
  end?: string;
  prefix?: boolean;
  /** First revision delivered; absent or 0 = changes after the current revision. */
  startRevision?: number;
  /** Attach the previous value of each key to its events. */
  prevKv?: boolean;
  /** Deliver onProgress(revision) periodically while the watch is idle. */
  progressNotify?: boolean;
}

/** A live watch. */
export interface WatchHandle {
  /** Unique per store instance. */
  readonly id: number;
  /** Stop delivering; no callback runs after cancel() returns. Idempotent. */
  cancel(): void;
}

/** Where a watch delivers. Callbacks must not throw; a throw ends the watch with onError. */
export interface WatchCallbacks {
  /**
   * Changes in revision order, none missed, none repeated. Events of one txn share a modRevision
   * and are never split across calls; one call may hold several txns. `revision` is the store
   * revision at delivery (>= the last event's modRevision).
   */
  onEvents(events: WatchEvent[], revision: number): void;
  /** Every event up to `revision` has been delivered (etcd progress notification). */
  onProgress?(revision: number): void;
  /** CompactedError (with .compactRevision) or a transport error; the watch is over after this. */
  onError(err: Error): void;
}

/** The store API (etcd v3 KV + Watch + Maintenance.compact). */
export interface KV {
  /** Writes one key. Resolves after the write is durable. Errors: EmptyKeyError, ValueTooLargeError. */
  put(
    key: string,
    value: Uint8Array,
    opts?: { prevKv?: boolean },
  ): Promise<{ revision: number; prevKv?: KeyValue }>;
  /** Reads one key at the current or a past revision. Errors: CompactedError, FutureRevisionError. */
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  /** Reads a key range. Errors: InvalidRangeError, CompactedError, FutureRevisionError. */
  range(key: string, opts?: RangeOptions): Promise<RangeResult>;
  /**
   * Deletes a key or key range; `revision` is the current one when nothing was deleted.
   * `prevKvs` holds the deleted values only with `prevKv: true` (else it is empty).
   * Errors: EmptyKeyError, InvalidRangeError.
   */
  delete(
    key: string,
    opts?: { end?: string; prefix?: boolean; prevKv?: boolean },
  ): Promise<{ revision: number; deleted: number; prevKvs: KeyValue[] }>;
  /** Atomic compare-then-ops. Errors: DuplicateKeyError plus those of the ops. */
  txn(compares: Compare[], success: TxnOp[], failure: TxnOp[]): Promise<TxnResult>;
  /** Starts a watch; errors (including bad input) arrive through cb.onError. */
  watch(key: string, opts: WatchOptions, cb: WatchCallbacks): WatchHandle;
  /** Drops history before `revision`; the current value of every key survives. Errors: CompactedError, FutureRevisionError. */
  compact(revision: number): Promise<void>;
  /** The revision of the last durable write (1 for an empty store, like etcd). */
  currentRevision(): Promise<number>;
  /** The revision of the last compaction; 0 if never compacted. */
  compactRevision(): Promise<number>;
  /** Ends every watch, waits for pending writes, releases resources. */
  close(): Promise<void>;
}
