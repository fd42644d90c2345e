// Named errors of @keelson/store. Every error the store raises on purpose is one of these; the
// gRPC layer carries the class name (and the compact revision) so RemoteStore re-creates the same
// class on the client side.

/** Base class of every error raised by the store on purpose. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(message: string) {
    super(message);
  }
}

/** Bad input: a malformed option, a negative revision, an unknown compare target … */
export class InvalidArgumentError extends StoreError {
  override name = 'InvalidArgumentError';
}

/** A key was empty where a key is required (etcd: "key is not provided"). */
export class EmptyKeyError extends InvalidArgumentError {
  override name = 'EmptyKeyError';
  constructor(message = 'key must not be empty') {
    super(message);
  }
}

/** A value exceeded {@link MAX_VALUE_BYTES} (etcd's default request size limit, 1.5 MiB). */
export class ValueTooLargeError extends InvalidArgumentError {
  override name = 'ValueTooLargeError';
  /** Size of the rejected value, bytes. */
  readonly size: number;
  constructor(size: number, limit: number) {
    super(`value is ${size} bytes, more than the limit of ${limit} bytes`);
    this.size = size;
  }
}

/** A key range that selects nothing sensible: end <= key, or both `end` and `prefix`. */
export class InvalidRangeError extends InvalidArgumentError {
  override name = 'InvalidRangeError';
}

/** A txn writes the same key twice (etcd: "duplicate key given in txn request"). */
export class DuplicateKeyError extends InvalidArgumentError {
  override name = 'DuplicateKeyError';
}

/**
 * A read, watch or compaction asked for a revision older than the compact revision
 * (etcd: "mvcc: required revision has been compacted"). The Kubernetes API maps it to 410 Gone.
 */
export class CompactedError extends StoreError {
  override name = 'CompactedError';
  /** The store's compact revision when the request failed. */
  readonly compactRevision: number;
  constructor(compactRevision: number, message?: string) {
    super(message ?? `required revision has been compacted (compact revision ${compactRevision})`);
    this.compactRevision = compactRevision;
  }
}

/** A read or compaction asked for a revision above the current one (etcd: ErrFutureRev). */
export class FutureRevisionError extends StoreError {
  override name = 'FutureRevisionError';
  /** The store's current revision when the request failed. */
  readonly currentRevision: number;
  constructor(currentRevision: number, message?: string) {
    super(message ?? `required revision is a future revision (current revision ${currentRevision})`);
    this.currentRevision = currentRevision;
  }
}

/** The store was closed; no request is accepted after close(). */
export class StoreClosedError extends StoreError {
  override name = 'StoreClosedError';
  constructor(message = 'store is closed') {
    super(message);
  }
}

/**
 * LevelDB failed to write a batch. The store stops accepting requests: memory may be ahead of disk,
 * and reopening the directory gives back the last durable state.
 */
export class StoreFailedError extends StoreError {
  override name = 'StoreFailedError';
}

/** Transport failure talking to a remote keelson-store (gRPC status other than the above). */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  /** gRPC status code. */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
