// In-memory index of every key: its change history (revision, sub, tombstone) and its current
// value, plus the keys in sorted order for range scans. The role of etcd's treeIndex/keyIndex,
// with the latest value kept in memory so that writes and current reads need no disk access;
// older versions are read from LevelDB by (revision, sub).
import type { KeyValue } from './types';
import type { KeySpan } from './span';

/** One change of a key. */
export interface RevEntry {
  revision: number;
  sub: number;
  deleted: boolean;
}

/** Everything the index knows about one key. */
export interface KeyEntry {
  key: string;
  /** Changes in revision order (only those not yet compacted away). */
  history: RevEntry[];
  /** The value after the last change; undefined when the last change is a delete. */
  current: KeyValue | undefined;
}

/** Sorted key → {@link KeyEntry} index. Not thread-safe; the store mutates it synchronously. */
export class KeyIndex {
  private readonly map = new Map<string, KeyEntry>();
  private sorted: string[] = [];

  /** Number of keys with any history (live or tombstoned). */
  get size(): number {
    return this.map.size;
  }

  /** The entry of `key`, if the index has any history for it. */
  get(key: string): KeyEntry | undefined {
    return this.map.get(key);
  }

  /** The entry of `key`, created (with empty history) if missing. */
  getOrCreate(key: string): KeyEntry {
    let e = this.map.get(key);
    if (!e) {
      e = { key, history: [], current: undefined };
      this.map.set(key, e);
      const at = this.lowerBound(key);
      if (at === this.sorted.length) this.sorted.push(key);
      else this.sorted.splice(at, 0, key);
    }
    return e;
  }

  /** Removes keys for which `drop` is true (used by compaction). */
  removeWhere(drop: (e: KeyEntry) => boolean): void {
    let removed = false;
    for (const e of this.map.values()) {
      if (drop(e)) {
        this.map.delete(e.key);
        removed = true;
      }
    }
    if (removed) this.sorted = this.sorted.filter((k) => this.map.has(k));
  }

  /** Entries inside `span`, in key order. */
  *entries(span: KeySpan): Generator<KeyEntry> {
    if (span.end === undefined) {
      const e = this.map.get(span.start);
      if (e) yield e;
      return;
    }
    const end = span.end;
    for (let i = this.lowerBound(span.start); i < this.sorted.length; i++) {
      const k = this.sorted[i];
      if (end !== null && k >= end) return;
      yield this.map.get(k)!;
    }
  }

  /** Every entry, in no particular order. */
  all(): IterableIterator<KeyEntry> {
    return this.map.values();
  }

  private lowerBound(key: string): number {
    const s = this.sorted;
    // Fast path: appending keys in increasing order.
    if (s.length === 0 || s[s.length - 1] < key) return s.length;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Index in `history` of the last change at or before `revision`, or -1. */
export function lastAtOrBefore(history: RevEntry[], revision: number): number {
  const i = history.length - 1;
  if (i < 0 || history[i].revision <= revision) return i;
  let lo = 0;
  let hi = i;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history[mid].revision <= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
