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

/**
 * Sorted key → {@link KeyEntry} index. Not thread-safe; the store mutates it synchronously.
 * New keys go to an unsorted list first and are merged into the sorted array by the next scan,
 * so a burst of creates costs O(k log k + n) once instead of O(n) per key.
 */
export class KeyIndex {
  private readonly map = new Map<string, KeyEntry>();
  private sorted: KeyEntry[] = [];
  private fresh: KeyEntry[] = [];

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
      this.fresh.push(e);
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
    if (removed) {
      this.sorted = this.sorted.filter((e) => this.map.has(e.key));
      this.fresh = this.fresh.filter((e) => this.map.has(e.key));
    }
  }

  /** Calls `fn` for every entry inside `span`, in key order. `fn` must not add keys. */
  scan(span: KeySpan, fn: (e: KeyEntry) => void): void {
    if (span.end === undefined) {
      const e = this.map.get(span.start);
      if (e) fn(e);
      return;
    }
    this.settle();
    const s = this.sorted;
    const end = span.end;
    for (let i = this.lowerBound(span.start); i < s.length; i++) {
      const e = s[i];
      if (end !== null && e.key >= end) return;
      fn(e);
    }
  }

  /** Entries inside `span`, in key order (a snapshot: safe to add keys while iterating). */
  entries(span: KeySpan): KeyEntry[] {
    const out: KeyEntry[] = [];
    this.scan(span, (e) => out.push(e));
    return out;
  }

  /** Every entry, in no particular order. */
  all(): IterableIterator<KeyEntry> {
    return this.map.values();
  }

  /** Merges new keys into the sorted array. */
  private settle(): void {
    if (!this.fresh.length) return;
    const add = this.fresh.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.fresh = [];
    const old = this.sorted;
    if (!old.length || old[old.length - 1].key < add[0].key) {
      this.sorted = old.length ? old.concat(add) : add;
      return;
    }
    const out: KeyEntry[] = new Array(old.length + add.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < add.length) out[k++] = old[i].key < add[j].key ? old[i++] : add[j++];
    while (i < old.length) out[k++] = old[i++];
    while (j < add.length) out[k++] = add[j++];
    this.sorted = out;
  }

  private lowerBound(key: string): number {
    const s = this.sorted;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid].key < key) lo = mid + 1;
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
