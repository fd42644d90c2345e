/**
 * An in-memory implementation of the store's `KV` contract (etcd v3 semantics: one revision per
 * write txn starting after 1, MVCC reads at past revisions, watch replay from a revision,
 * compaction). For tests, `--storage memory`, and benchmarks; nothing is persisted.
 */
import { StorageCompactedError, StorageFutureRevisionError } from '../errors';
import type {
  Compare,
  KV,
  KeyValue,
  WatchEvent as KvWatchEvent,
  RangeOptions,
  RangeResult,
  TxnOp,
  TxnResult,
  WatchCallbacks,
  WatchHandle,
  WatchOptions,
} from './kv-types';

interface Rec {
  modRevision: number;
  createRevision: number;
  version: number;
  /** undefined = tombstone */
  value?: Uint8Array;
}

interface Watcher {
  id: number;
  start: string;
  end?: string;
  prevKv: boolean;
  cb: WatchCallbacks;
  cancelled: boolean;
}

/** The first key after every key starting with `prefix` (etcd clientv3.GetPrefixRangeEnd). */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '\0';
}

/** In-memory MVCC KV. Not thread-safe across processes; all state is lost on close. */
export class MemoryKV implements KV {
  private rev = 1;
  private compactRev = 0;
  private readonly history = new Map<string, Rec[]>();
  private keys: string[] = [];
  private log: KvWatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private nextWatchId = 1;
  private closed = false;

  async currentRevision(): Promise<number> {
    return this.rev;
  }
  async compactRevision(): Promise<number> {
    return this.compactRev;
  }

  async put(
    key: string,
    value: Uint8Array,
    opts?: { prevKv?: boolean },
  ): Promise<{ revision: number; prevKv?: KeyValue }> {
    const r = await this.txn([], [{ type: 'put', key, value }], []);
    const resp = r.responses[0] as { type: 'put'; prevKv?: KeyValue };
    return { revision: r.revision, prevKv: opts?.prevKv ? resp.prevKv : undefined };
  }

  async get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined> {
    const r = await this.range(key, { revision: opts?.revision });
    return r.kvs[0];
  }

  async range(key: string, opts: RangeOptions = {}): Promise<RangeResult> {
    return this.rangeSync(key, opts);
  }

  async delete(
    key: string,
    opts: { end?: string; prefix?: boolean; prevKv?: boolean } = {},
  ): Promise<{ revision: number; deleted: number; prevKvs: KeyValue[] }> {
    const r = await this.txn([], [{ type: 'delete', key, end: opts.end, prefix: opts.prefix }], []);
    const resp = r.responses[0] as { type: 'delete'; deleted: number; prevKvs: KeyValue[] };
    return { revision: r.revision, deleted: resp.deleted, prevKvs: opts.prevKv ? resp.prevKvs : [] };
  }

  async txn(compares: Compare[], success: TxnOp[], failure: TxnOp[]): Promise<TxnResult> {
    this.checkOpen();
    const ok = compares.every((c) => this.compare(c));
    const ops = ok ? success : failure;
    const newRev = this.rev + 1;
    const events: KvWatchEvent[] = [];
    const responses: TxnResult['responses'] = [];
    for (const op of ops) {
      if (op.type === 'range') {
        responses.push({ type: 'range', result: this.rangeSync(op.key, { ...op.options, revision: 0 }) });
      } else if (op.type === 'put') {
        const prev = this.latest(op.key);
        const live = prev && prev.value !== undefined ? prev : undefined;
        const rec: Rec = {
          modRevision: newRev,
          createRevision: live ? live.createRevision : newRev,
          version: live ? live.version + 1 : 1,
          value: op.value,
        };
        this.append(op.key, rec);
        const prevKv = live ? this.toKv(op.key, live) : undefined;
        events.push({ type: 'put', kv: this.toKv(op.key, rec), prevKv });
        responses.push({ type: 'put', prevKv });
      } else {
        const [s, e] = this.bounds(op.key, op);
        const prevKvs: KeyValue[] = [];
        for (const k of this.keysIn(s, e)) {
          const cur = this.latest(k);
          if (!cur || cur.value === undefined) continue;
          prevKvs.push(this.toKv(k, cur));
          this.append(k, { modRevision: newRev, createRevision: 0, version: 0 });
          events.push({
            type: 'delete',
            kv: { key: k, value: new Uint8Array(), createRevision: 0, modRevision: newRev, version: 0 },
            prevKv: this.toKv(k, cur),
          });
        }
        responses.push({ type: 'delete', deleted: prevKvs.length, prevKvs });
      }
    }
    if (events.length) {
      this.rev = newRev;
      this.log.push(...events);
      for (const w of this.watchers) this.deliver(w, events);
    }
    return { succeeded: ok, revision: this.rev, responses };
  }

  watch(key: string, opts: WatchOptions, cb: WatchCallbacks): WatchHandle {
    const [start, end] = this.bounds(key, opts);
    const w: Watcher = { id: this.nextWatchId++, start, end, prevKv: !!opts.prevKv, cb, cancelled: false };
    const startRev = opts.startRevision ?? 0;
    if (startRev > 0 && startRev <= this.compactRev) {
      queueMicrotask(() => {
        if (!w.cancelled) cb.onError(new StorageCompactedError(this.compactRev));
      });
      return { id: w.id, cancel: () => void (w.cancelled = true) };
    }
    if (startRev > 0 && startRev <= this.rev) {
      const replay = this.log.filter((e) => e.kv.modRevision >= startRev);
      if (replay.length) this.deliver(w, replay);
    }
    this.watchers.add(w);
    return {
      id: w.id,
      cancel: () => {
        w.cancelled = true;
        this.watchers.delete(w);
      },
    };
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.compactRev) throw new StorageCompactedError(this.compactRev);
    if (revision > this.rev) throw new StorageFutureRevisionError(`required revision is a future revision`);
    this.compactRev = revision;
    const keep: string[] = [];
    for (const k of this.keys) {
      const recs = this.history.get(k)!;
      let i = recs.length - 1;
      while (i > 0 && recs[i].modRevision > revision) i--;
      // recs[i] is the latest record <= revision (or the first one)
      let kept = recs[i].modRevision <= revision ? recs.slice(i) : recs;
      if (kept.length && kept[0].value === undefined && kept[0].modRevision <= revision) kept = kept.slice(1);
      if (kept.length) {
        this.history.set(k, kept);
        keep.push(k);
      } else this.history.delete(k);
    }
    this.keys = keep;
    this.log = this.log.filter((e) => e.kv.modRevision > revision);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers) w.cancelled = true;
    this.watchers.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  private deliver(w: Watcher, events: KvWatchEvent[]): void {
    const mine = events
      .filter(
        (e) =>
          e.kv.key >= w.start &&
          (w.end === undefined ? e.kv.key === w.start : w.end === '\0' || e.kv.key < w.end),
      )
      .map((e) => (w.prevKv ? e : { type: e.type, kv: e.kv }));
    if (!mine.length) return;
    const rev = this.rev;
    queueMicrotask(() => {
      if (w.cancelled) return;
      try {
        w.cb.onEvents(mine, rev);
      } catch (err) {
        w.cancelled = true;
        this.watchers.delete(w);
        w.cb.onError(err as Error);
      }
    });
  }

  private compare(c: Compare): boolean {
    const cur = this.latest(c.key);
    const live = cur && cur.value !== undefined ? cur : undefined;
    let a: number;
    let b: number;
    if (c.target === 'value') {
      if (!live) return false;
      const x = Buffer.from(live.value!);
      const y = Buffer.from(c.value as Uint8Array);
      a = Buffer.compare(x, y);
      b = 0;
    } else {
      a = live
        ? c.target === 'version'
          ? live.version
          : c.target === 'createRevision'
            ? live.createRevision
            : live.modRevision
        : 0;
      b = c.value as number;
    }
    switch (c.result) {
      case '=':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
        return a < b;
      case '>':
        return a > b;
    }
  }

  private rangeSync(key: string, opts: RangeOptions): RangeResult {
    this.checkOpen();
    const at = opts.revision && opts.revision > 0 ? opts.revision : this.rev;
    if (opts.revision && opts.revision > 0 && opts.revision < this.compactRev)
      throw new StorageCompactedError(this.compactRev);
    if (at > this.rev) throw new StorageFutureRevisionError('required revision is a future revision');
    const [s, e] = this.bounds(key, opts);
    const kvs: KeyValue[] = [];
    let count = 0;
    for (const k of this.keysIn(s, e)) {
      const rec = this.at(k, at);
      if (!rec || rec.value === undefined) continue;
      count++;
      if (opts.countOnly) continue;
      if (!opts.limit || kvs.length < opts.limit) {
        const kv = this.toKv(k, rec);
        if (opts.keysOnly) kv.value = new Uint8Array();
        kvs.push(kv);
      }
    }
    return { kvs, count, more: count > kvs.length && !opts.countOnly, revision: this.rev };
  }

  private bounds(key: string, opts: { end?: string; prefix?: boolean }): [string, string | undefined] {
    if (opts.prefix) return [key, key === '' ? '\0' : prefixEnd(key)];
    return [key, opts.end];
  }

  private *keysIn(start: string, end: string | undefined): Generator<string> {
    if (end === undefined) {
      if (this.history.has(start)) yield start;
      return;
    }
    let i = this.lowerBound(start);
    const snapshot = this.keys;
    for (; i < snapshot.length; i++) {
      const k = snapshot[i];
      if (end !== '\0' && k >= end) break;
      yield k;
    }
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private append(key: string, rec: Rec): void {
    let recs = this.history.get(key);
    if (!recs) {
      recs = [];
      this.history.set(key, recs);
      const i = this.lowerBound(key);
      this.keys.splice(i, 0, key);
    }
    recs.push(rec);
  }

  private latest(key: string): Rec | undefined {
    const recs = this.history.get(key);
    return recs ? recs[recs.length - 1] : undefined;
  }

  private at(key: string, revision: number): Rec | undefined {
    const recs = this.history.get(key);
    if (!recs) return undefined;
    for (let i = recs.length - 1; i >= 0; i--) if (recs[i].modRevision <= revision) return recs[i];
    return undefined;
  }

  private toKv(key: string, rec: Rec): KeyValue {
    return {
      key,
      value: rec.value ?? new Uint8Array(),
      createRevision: rec.createRevision,
      modRevision: rec.modRevision,
      version: rec.version,
    };
  }
}
