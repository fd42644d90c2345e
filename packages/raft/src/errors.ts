/** Errors thrown by @keelson/raft. Every error is a {@link RaftError}; match by class. */

/** Base class of every error this package throws. */
export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The requested index is before the first entry still held (it was compacted into a snapshot). */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super(`index ${index} is compacted (first available index is ${firstIndex})`);
  }
}

/** The requested index is after the last entry held. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super(`index ${index} is unavailable (last index is ${lastIndex})`);
  }
}

/** A snapshot older than the one already held was offered to storage. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(index: number, current: number) {
    super(`snapshot at index ${index} is older than the current snapshot at index ${current}`);
  }
}

/** Storage cannot produce a snapshot right now; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/**
 * A proposal (or read / transfer request) was not accepted: no leader is known, leadership is
 * being transferred, a configuration change is still pending, or the change is invalid. The
 * caller may retry later; nothing was appended.
 */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super(`proposal dropped: ${reason}`);
  }
}

/** The caller broke the API contract (bad config, local message stepped from the network ...). */
export class RaftUsageError extends RaftError {}
