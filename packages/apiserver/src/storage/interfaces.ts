/**
 * The apiserver's storage seam (DESIGN.md "Seams"): byte values under string keys with etcd v3
 * revision semantics. Implemented on @keelson/store's KV (embedded MvccStore or RemoteStore) and
 * on an etcd v3 cluster (etcd3 client). Errors: KeyExistsError, KeyNotFoundError,
 * RevisionConflictError, StorageCompactedError, StorageFutureRevisionError (see ../errors.ts).
 */

/** One stored object. */
export interface StoredValue {
  key: string;
  value: Uint8Array;
  /** Revision of the last change (the object's resourceVersion). */
  modRevision: number;
  /** Revision that created the key. */
  createRevision: number;
}

/** A page of a prefix listing at one revision. */
export interface ListResult {
  items: StoredValue[];
  /** The revision the list was read at (the list's resourceVersion). */
  revision: number;
  /** True when more keys follow the last returned one. */
  more: boolean;
  /** Keys left after this page (when known). */
  remaining: number;
}

/** A change seen by a storage watch. */
export interface StorageEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value (put) or empty (delete). */
  value: Uint8Array;
  /** The value before the change, when known (always for deletes of keys with history). */
  prevValue?: Uint8Array;
  /** The event's revision. */
  modRevision: number;
  /** Creation revision of the key (0 for deletes). */
  createRevision: number;
}

/** Callbacks of a storage watch; events in revision order, none missed. */
export interface StorageWatchCallbacks {
  onEvents(events: StorageEvent[], revision: number): void;
  /** Every change up to `revision` has been delivered. */
  onProgress?(revision: number): void;
  /** StorageCompactedError or a transport error; the watch has ended. */
  onError(err: Error): void;
}

/** The storage interface the registry uses. */
export interface Storage {
  /** Reads one key, optionally at a past revision. */
  get(key: string, revision?: number): Promise<StoredValue | undefined>;
  /**
   * Lists keys with `prefix` in key order, starting at `startKey` (inclusive; default the prefix),
   * at most `limit` (0 = all), at `revision` (0 = current).
   */
  list(prefix: string, opts?: { startKey?: string; limit?: number; revision?: number }): Promise<ListResult>;
  /** Counts keys with `prefix`. */
  count(prefix: string): Promise<number>;
  /** Creates a key that must not exist; returns the write's revision. Throws KeyExistsError. */
  create(key: string, value: Uint8Array): Promise<number>;
  /**
   * Overwrites a key whose modRevision is still `expectedModRevision`; returns the new revision.
   * Throws RevisionConflictError (changed) or KeyNotFoundError (gone).
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number>;
  /**
   * Deletes a key, if `expectedModRevision` is given only when it still matches; returns the
   * delete's revision. Throws RevisionConflictError or KeyNotFoundError.
   */
  delete(key: string, expectedModRevision?: number): Promise<number>;
  /**
   * Watches every key with `prefix`, delivering changes with revision > `afterRevision`.
   * Returns a cancel function.
   */
  watch(prefix: string, afterRevision: number, cb: StorageWatchCallbacks): () => void;
  /** The store's current revision. */
  currentRevision(): Promise<number>;
  /** Drops history before `revision`. */
  compact(revision: number): Promise<void>;
  /** Releases connections and (for embedded stores) closes the store. */
  close(): Promise<void>;
}
