import { CompactedError, RaftUsageError, SnapshotOutOfDateError, UnavailableError } from './errors';
import { type ConfState, type Entry, type HardState, type Snapshot, emptySnapshot, NONE } from './types';

/**
 * Read access to the persisted log, the shape of etcd-io/raft `storage.go`. The Raft state
 * machine only reads through this interface; the application writes to its storage itself
 * when it handles a {@link Ready} (append entries, set hard state, apply snapshot), and
 * compacts it whenever it likes after taking a snapshot.
 *
 * Index conventions: entries `firstIndex() .. lastIndex()` are readable, and `term()` is also
 * readable at `firstIndex() - 1` (the index of the last compacted entry, i.e. the snapshot).
 */
export interface Storage {
  /** The persisted hard state and configuration (from the latest snapshot plus applied changes). */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in `[lo, hi)`, at most `maxBytes` of data (but at least one entry if any).
   * @throws CompactedError if `lo < firstIndex()`; UnavailableError if `hi > lastIndex() + 1`.
   */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /**
   * Term of entry `i`, for `firstIndex() - 1 <= i <= lastIndex()`.
   * @throws CompactedError below that range; UnavailableError above it.
   */
  term(i: number): number;
  /** Index of the last entry (the snapshot index if the log is empty). */
  lastIndex(): number;
  /** Index of the first readable entry (snapshot index + 1). */
  firstIndex(): number;
  /**
   * The most recent snapshot, sent to members that fell behind the compaction point (Raft §7).
   * @throws SnapshotTemporarilyUnavailableError if none can be produced now.
   */
  snapshot(): Snapshot;
}

/**
 * An in-memory {@link Storage}, also usable as the "disk" of a simulated member: whatever was
 * written to it survives a simulated crash. The array keeps a dummy entry at position 0 whose
 * index and term are the snapshot's.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: NONE, commit: 0 };
  private snap: Snapshot = emptySnapshot();
  /** ents[0] is a dummy holding the snapshot's index and term. */
  private ents: Entry[] = [{ term: 0, index: 0, type: 'Normal', data: new Uint8Array(0) }];

  /** @inheritdoc */
  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  /** Persists the hard state (call before sending the Ready's messages). */
  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  /** The persisted hard state. */
  getHardState(): HardState {
    return { ...this.hardState };
  }

  /** @inheritdoc */
  entries(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    const offset = this.ents[0].index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  /** @inheritdoc */
  term(i: number): number {
    const offset = this.ents[0].index;
    if (i < offset) throw new CompactedError(i, offset + 1);
    if (i - offset >= this.ents.length) throw new UnavailableError(i, this.lastIndex());
    return this.ents[i - offset].term;
  }

  /** @inheritdoc */
  lastIndex(): number {
    return this.ents[0].index + this.ents.length - 1;
  }

  /** @inheritdoc */
  firstIndex(): number {
    return this.ents[0].index + 1;
  }

  /** @inheritdoc */
  snapshot(): Snapshot {
    return this.snap;
  }

  /**
   * Replaces the whole log with a snapshot received from the leader (Raft §7: "discard the
   * entire log"). @throws SnapshotOutOfDateError if older than the current snapshot.
   */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index < this.snap.metadata.index) {
      throw new SnapshotOutOfDateError(snap.metadata.index, this.snap.metadata.index);
    }
    this.snap = cloneSnapshot(snap);
    this.ents = [
      { term: snap.metadata.term, index: snap.metadata.index, type: 'Normal', data: new Uint8Array(0) },
    ];
  }

  /**
   * Records a snapshot of the application state as of applied index `i` (which must be held
   * in the log) with configuration `cs`. Call {@link compact} afterwards to drop entries.
   * @throws SnapshotOutOfDateError if `i` is not newer than the current snapshot;
   *         UnavailableError if `i > lastIndex()`.
   */
  createSnapshot(i: number, cs: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError(i, this.snap.metadata.index);
    const offset = this.ents[0].index;
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    this.snap = {
      metadata: { index: i, term: this.ents[i - offset].term, confState: cloneConfState(cs) },
      data,
    };
    return this.snap;
  }

  /**
   * Discards entries up to and including `compactIndex`, which must not exceed the last
   * entry; a snapshot covering them should exist first. (Raft §7 log compaction.)
   * @throws CompactedError if already compacted; UnavailableError if beyond lastIndex().
   */
  compact(compactIndex: number): void {
    const offset = this.ents[0].index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new UnavailableError(compactIndex, this.lastIndex());
    const i = compactIndex - offset;
    const dummy: Entry = {
      term: this.ents[i].term,
      index: this.ents[i].index,
      type: 'Normal',
      data: new Uint8Array(0),
    };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, overwriting any conflicting suffix (entries at and after the first new
   * index are replaced). Entries already compacted are ignored.
   * @throws RaftUsageError if the new entries would leave a gap.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0].index + entries.length - 1;
    if (last < first) return;
    if (first > entries[0].index) entries = entries.slice(first - entries[0].index);
    const offset = entries[0].index - this.ents[0].index;
    if (offset > this.ents.length) {
      throw new RaftUsageError(
        `missing log entry: last ${this.lastIndex()}, appending at ${entries[0].index}`,
      );
    }
    this.ents = this.ents.slice(0, offset).concat(entries.map(cloneEntry));
  }

  /** A deep copy (handy for simulations that fork a member's disk). */
  clone(): MemoryStorage {
    const c = new MemoryStorage();
    c.hardState = { ...this.hardState };
    c.snap = cloneSnapshot(this.snap);
    c.ents = this.ents.map(cloneEntry);
    return c;
  }
}

/** Keeps the longest prefix whose data size is within `maxBytes` (always at least one entry). */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0 || maxBytes === Infinity) return ents;
  let size = ents[0].data.length;
  let n = 1;
  for (; n < ents.length; n++) {
    size += ents[n].data.length;
    if (size > maxBytes) break;
  }
  return ents.slice(0, n);
}

/** Copies an entry (data bytes are shared; they are never mutated). */
export function cloneEntry(e: Entry): Entry {
  return { term: e.term, index: e.index, type: e.type, data: e.data };
}

/** Copies a configuration. */
export function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

/** Copies a snapshot's metadata (data bytes are shared). */
export function cloneSnapshot(s: Snapshot): Snapshot {
  return {
    metadata: {
      index: s.metadata.index,
      term: s.metadata.term,
      confState: cloneConfState(s.metadata.confState),
    },
    data: s.data,
  };
}
