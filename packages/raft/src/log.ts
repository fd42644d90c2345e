import { CompactedError, RaftUsageError } from './errors';
import { type Storage, limitSize } from './storage';
import type { Entry, Snapshot } from './types';

/**
 * The log as one node sees it: the persisted part (read through {@link Storage}) followed by
 * an unstable tail (entries, or a snapshot, not yet handed to the application for
 * persistence), plus the commit and apply positions. The shape of etcd-io/raft `log.go` and
 * `log_unstable.go`.
 */
export class RaftLog {
  /** Highest index known to be committed (Raft Figure 2, commitIndex). */
  committed: number;
  /** Highest index the application has applied (Raft Figure 2, lastApplied). */
  applied: number;
  /** Entries not yet persisted; `unstableOffset` is the index of unstableEntries[0]. */
  private unstableEntries: Entry[] = [];
  private unstableOffset: number;
  private unstableSnapshot: Snapshot | undefined;

  constructor(readonly storage: Storage) {
    this.unstableOffset = storage.lastIndex() + 1;
    this.committed = storage.firstIndex() - 1;
    this.applied = storage.firstIndex() - 1;
  }

  /** Index of the first entry still held (snapshot index + 1). */
  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.metadata.index + 1;
    return this.storage.firstIndex();
  }

  /** Index of the last entry (the snapshot index when the log is empty). */
  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset + this.unstableEntries.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.metadata.index;
    return this.storage.lastIndex();
  }

  /** Last index already handed over for persistence and acknowledged by `stableTo`. */
  persistedLastIndex(): number {
    return this.unstableEntries.length > 0 ? this.unstableOffset - 1 : this.lastIndex();
  }

  /**
   * Term of entry `i`, or `undefined` when `i` is compacted (before the snapshot) or beyond
   * the last entry. The snapshot's own index has a known term.
   */
  term(i: number): number | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    if (i >= this.unstableOffset && i - this.unstableOffset < this.unstableEntries.length) {
      return this.unstableEntries[i - this.unstableOffset].term;
    }
    if (this.unstableSnapshot && i === this.unstableSnapshot.metadata.index)
      return this.unstableSnapshot.metadata.term;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError) return undefined;
      throw e;
    }
  }

  /** Term of the last entry. */
  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** True if entry `i` exists with term `t` (or both are the index-0 sentinel). */
  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /**
   * Raft §5.4.1: a candidate's log is at least as up-to-date as ours if its last term is
   * greater, or equal with a last index at least as large.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries (Raft Figure 2, receiver rules 2-5): if our log has
   * entry `index` with term `logTerm`, append the new entries (dropping a conflicting
   * suffix) and advance commit to min(leaderCommit, index of last new entry).
   * @returns the index of the last new entry, or -1 if the consistency check failed.
   */
  maybeAppend(index: number, logTerm: number, leaderCommit: number, ents: Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftUsageError(`entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /**
   * Index of the first entry of `ents` that is missing or has a different term here (Raft
   * Figure 2 receiver rule 3), or 0 if all are already present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * Fast back-off (thesis §5.3, etcd's findConflictByTerm): the largest index `<= index`
   * whose term is `<= term`, with that term; (index, 0) once the log is compacted there.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index >= 0; index--) {
      const t = this.term(index);
      if (t === undefined) return [index, 0];
      if (t <= term) return [index, t];
    }
    return [0, 0];
  }

  /** Appends to the unstable tail, replacing any suffix from `ents[0].index`. @returns lastIndex. */
  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    if (after < this.committed) {
      throw new RaftUsageError(`appending after ${after} would overwrite committed ${this.committed}`);
    }
    const from = ents[0].index;
    if (from === this.unstableOffset + this.unstableEntries.length) {
      this.unstableEntries = this.unstableEntries.concat(ents);
    } else if (from <= this.unstableOffset) {
      this.unstableOffset = from;
      this.unstableEntries = [...ents];
    } else {
      this.unstableEntries = this.unstableEntries.slice(0, from - this.unstableOffset).concat(ents);
    }
    return this.lastIndex();
  }

  /**
   * Entries `[lo, hi)`, persisted part first then unstable, limited to `maxBytes` of data.
   * @throws CompactedError if `lo` is before firstIndex().
   */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1)
      throw new RaftUsageError(`slice [${lo}, ${hi}) beyond last ${this.lastIndex()}`);
    if (lo >= hi) return [];
    let out: Entry[] = [];
    if (lo < this.unstableOffset) {
      out = this.storage.entries(lo, Math.min(hi, this.unstableOffset), maxBytes);
      if (out.length < Math.min(hi, this.unstableOffset) - lo) return out;
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset);
      out = out.concat(this.unstableEntries.slice(from - this.unstableOffset, hi - this.unstableOffset));
    }
    return limitSize(out, maxBytes);
  }

  /** Entries from `i` to the end (limited to `maxBytes`); [] past the end. @throws CompactedError */
  entriesFrom(i: number, maxBytes = Infinity): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /** Raises the commit index. @throws RaftUsageError if beyond the last entry (log corrupt). */
  commitTo(toCommit: number): void {
    if (this.committed >= toCommit) return;
    if (this.lastIndex() < toCommit) {
      throw new RaftUsageError(`commit ${toCommit} is out of range [last ${this.lastIndex()}]`);
    }
    this.committed = toCommit;
  }

  /**
   * Raft §5.4.2: advances commit to `maxIndex` only if that entry is from `term` (the
   * leader's current term); earlier-term entries become committed indirectly.
   */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Records that the application applied up to `i`. */
  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new RaftUsageError(
        `applied ${i} is out of range [prev applied ${this.applied}, committed ${this.committed}]`,
      );
    }
    this.applied = i;
  }

  /** First index that may be handed to the application next. */
  private nextApplyIndex(): number {
    return Math.max(this.applied + 1, this.firstIndex());
  }

  /** True if committed entries wait to be applied. */
  hasNextCommittedEnts(): boolean {
    return this.committed + 1 > this.nextApplyIndex();
  }

  /** Committed entries not yet applied. */
  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    return this.slice(this.nextApplyIndex(), this.committed + 1);
  }

  /** Entries waiting to be persisted. */
  unstable(): Entry[] {
    return this.unstableEntries;
  }

  /** Snapshot waiting to be persisted, if any. */
  pendingSnapshot(): Snapshot | undefined {
    return this.unstableSnapshot;
  }

  /** The application persisted entries up to `i` (with term `t`): drop them from the tail. */
  stableTo(i: number, t: number): void {
    if (i < this.unstableOffset) return;
    const k = i - this.unstableOffset;
    if (k >= this.unstableEntries.length || this.unstableEntries[k].term !== t) return;
    this.unstableEntries = this.unstableEntries.slice(k + 1);
    this.unstableOffset = i + 1;
  }

  /** The application persisted the snapshot at index `i`. */
  stableSnapTo(i: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.metadata.index === i)
      this.unstableSnapshot = undefined;
  }

  /** Replaces the log with a snapshot (Raft §7, InstallSnapshot receiver rule 7). */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstableOffset = s.metadata.index + 1;
    this.unstableEntries = [];
    this.unstableSnapshot = s;
  }

  /** The newest snapshot: the unstable one if any, otherwise storage's. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
}
