// MvccStore: the KV interface over LevelDB. Request handling (validation, the write queue,
// reads, watch registration) lives here; the state transition lives in MvccState.applyTxn.
//
// Writes: requests queue; one writer at a time takes every queued request (group commit),
// applies them in order in memory (revisions N, N+1, …), writes all their records as ONE
// LevelDB batch (fsync'd unless sync: false), then marks them durable, dispatches their watch
// events and resolves them. Reads are served at the durable revision, so nothing not yet on
// disk is ever visible. A failed batch stops the store (StoreFailedError); reopening gives the
// last durable state.
import { Level } from 'level';
import {
  CompactedError,
  FutureRevisionError,
  InvalidArgumentError,
  StoreClosedError,
  StoreFailedError,
} from './errors';
import {
  META_COMPACT,
  RECORD_PREFIX,
  decodeRecord,
  decodeU64,
  encodeRecord,
  encodeU64,
  parseRecordKey,
  recordKey,
  type ChangeRecord,
} from './codec';
import { MvccState, copyKv, normalizeTxn, type NormalTxn, type ReadItem } from './mvcc-state';
import { checkCount, checkKey, checkValue, makeSpan, spanContains, type KeySpan } from './span';
import { WatchHub, type Watcher } from './watch-hub';
import type {
  Compare,
  KV,
  KeyValue,
  RangeOptions,
  RangeResult,
  TxnOp,
  TxnResult,
  WatchCallbacks,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from './types';

/** Options of {@link MvccStore.open}. */
export interface MvccStoreOptions {
  /** fsync every write batch before acknowledging (default true; false only for benchmarks). */
  sync?: boolean;
  /** Period of progress notifications to idle progressNotify watchers, ms (default 10,000; 0 = off). */
  progressIntervalMs?: number;
  /** Most requests in one group-committed batch (default 1,000). */
  maxGroup?: number;
}

type Db = Level<Buffer, Buffer>;

interface Pending {
  txn: NormalTxn;
  resolve(r: TxnResult): void;
  reject(e: Error): void;
}

const EMPTY = new Uint8Array(0);
const CATCH_UP_CHUNK = 1000;
/** Dropped records from which a compaction also asks LevelDB to compact the range on disk. */
const COMPACT_RANGE_MIN = 10_000;

/** Local MVCC key-value store on LevelDB (etcd v3 KV semantics). See {@link KV}. */
export class MvccStore implements KV {
  private readonly state: MvccState;
  private readonly hub = new WatchHub();
  private queue: Pending[] = [];
  private writing = false;
  private idle: Array<() => void> = [];
  private durable: number;
  private failed: Error | undefined;
  private closed = false;
  private compacting: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly sync: boolean;
  private readonly maxGroup: number;

  private constructor(
    private readonly db: Db,
    state: MvccState,
    opts: MvccStoreOptions,
  ) {
    this.state = state;
    this.durable = state.revision;
    this.sync = opts.sync ?? true;
    this.maxGroup = opts.maxGroup ?? 1000;
    const every = opts.progressIntervalMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.hub.progress(this.durable, true), every);
      this.timer.unref();
    }
  }

  /**
   * Opens (creating if needed) the store in directory `dir` and rebuilds the in-memory index
   * from the records on disk.
   * @throws LevelDB errors (e.g. the directory is locked by another process).
   */
  static async open(dir: string, opts: MvccStoreOptions = {}): Promise<MvccStore> {
    const db: Db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      const state = new MvccState();
      const compact = await db.get(META_COMPACT);
      if (compact) state.compactRevision = decodeU64(compact);
      const it = db.iterator({ gte: Buffer.from([RECORD_PREFIX]), lt: Buffer.from([RECORD_PREFIX + 1]) });
      try {
        for (;;) {
          const batch = await it.nextv(1000);
          if (!batch.length) break;
          for (const [k, v] of batch) {
            const { revision, sub } = parseRecordKey(k);
            state.load(decodeRecord(revision, sub, v));
          }
        }
      } finally {
        await it.close();
      }
      if (state.compactRevision > state.revision) state.revision = state.compactRevision;
      return new MvccStore(db, state, opts);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  // ---- writes ----

  /** {@inheritDoc KV.put} */
  async put(
    key: string,
    value: Uint8Array,
    opts: { prevKv?: boolean } = {},
  ): Promise<{ revision: number; prevKv?: KeyValue }> {
    checkKey(key);
    checkValue(value);
    const r = await this.submit(normalizeTxn([], [{ type: 'put', key, value, prevKv: !!opts.prevKv }], []));
    const resp = r.responses[0] as { prevKv?: KeyValue };
    return resp.prevKv ? { revision: r.revision, prevKv: resp.prevKv } : { revision: r.revision };
  }

  /** {@inheritDoc KV.delete} */
  async delete(
    key: string,
    opts: { end?: string; prefix?: boolean; prevKv?: boolean } = {},
  ): Promise<{ revision: number; deleted: number; prevKvs: KeyValue[] }> {
    const op = {
      type: 'delete',
      key,
      end: opts.end,
      prefix: opts.prefix,
      prevKv: !!opts.prevKv,
    } satisfies TxnOp;
    const r = await this.submit(normalizeTxn([], [op], []));
    const resp = r.responses[0] as { deleted: number; prevKvs: KeyValue[] };
    return { revision: r.revision, deleted: resp.deleted, prevKvs: resp.prevKvs };
  }

  /**
   * {@inheritDoc KV.txn}
   * Put and delete ops may carry `prevKv: true` to get the previous value(s) in their response.
   */
  async txn(compares: Compare[], success: TxnOp[], failure: TxnOp[]): Promise<TxnResult> {
    return this.submit(normalizeTxn(compares, success, failure));
  }

  /**
   * Queues a validated txn for the group-commit writer; resolves once its batch is durable.
   * This is the request-handling half; MvccState.applyTxn is the apply half.
   */
  private submit(txn: NormalTxn): Promise<TxnResult> {
    this.checkOpen();
    return new Promise<TxnResult>((resolve, reject) => {
      this.queue.push({ txn, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length && !this.failed) {
        const group = this.queue.length <= this.maxGroup ? this.queue : this.queue.slice(0, this.maxGroup);
        this.queue = group === this.queue ? [] : this.queue.slice(this.maxGroup);
        let results: TxnResult[];
        try {
          results = await this.commit(group.map((p) => p.txn));
        } catch (err) {
          for (const p of group) p.reject(err as Error);
          break;
        }
        for (let i = 0; i < group.length; i++) group[i].resolve(results[i]);
      }
    } finally {
      this.writing = false;
      if (this.failed) {
        const rest = this.queue;
        this.queue = [];
        for (const p of rest) p.reject(this.failed);
      }
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Commits already-ordered txns: applies them in order (MvccState.applyTxn, consecutive
   * revisions), writes their records plus `meta` entries as ONE LevelDB batch (synced unless
   * `sync: false`), then makes them visible to reads and dispatches their watch events.
   * This is the seam for replication: a Raft layer calls it with committed log entries in log
   * order (and its applied index in `meta`, read back with {@link readMeta} after a restart)
   * instead of the local write queue. Calls must not overlap each other or local writes.
   * @returns one result per txn.
   * @throws StoreFailedError if LevelDB fails; the store then refuses every request.
   */
  async commit(
    txns: NormalTxn[],
    meta: Array<{ name: string; value: Uint8Array }> = [],
  ): Promise<TxnResult[]> {
    if (this.failed) throw this.failed;
    const results: TxnResult[] = [];
    const events: WatchEvent[] = [];
    const ops: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
    try {
      for (const txn of txns) {
        const { result, changes } = this.applyOne(txn);
        results.push(result);
        for (const c of changes) {
          ops.push({
            type: 'put',
            key: recordKey(c.record.revision, c.record.sub),
            value: encodeRecord(c.record),
          });
          events.push(c.event);
        }
      }
      for (const m of meta) ops.push({ type: 'put', key: metaKey(m.name), value: Buffer.from(m.value) });
      if (ops.length) await this.db.batch(ops, { sync: this.sync });
    } catch (err) {
      if (!this.failed) {
        this.fail(new StoreFailedError(`LevelDB write failed; reopen the store: ${(err as Error).message}`));
      }
      throw this.failed;
    }
    this.durable = this.state.revision;
    if (events.length) this.hub.dispatch(events, this.durable);
    return results;
  }

  /** A value stored by {@link commit}'s `meta`, e.g. a replication layer's applied index. */
  async readMeta(name: string): Promise<Uint8Array | undefined> {
    this.checkOpen();
    return this.db.get(metaKey(name));
  }

  /** MvccState.applyTxn; a throw there would leave memory half-applied, so it stops the store. */
  private applyOne(txn: NormalTxn): ReturnType<MvccState['applyTxn']> {
    try {
      return this.state.applyTxn(txn);
    } catch (err) {
      this.fail(new StoreFailedError(`apply failed: ${(err as Error).message}`));
      throw this.failed;
    }
  }

  private fail(err: Error): void {
    this.failed = err;
    for (const w of this.hub.all()) this.hub.fail(w, err);
  }

  private checkOpen(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new StoreClosedError();
  }

  // ---- reads ----

  /** {@inheritDoc KV.get} */
  async get(key: string, opts: { revision?: number } = {}): Promise<KeyValue | undefined> {
    checkKey(key);
    const r = await this.range(key, { revision: opts.revision });
    return r.kvs[0];
  }

  /** {@inheritDoc KV.range} */
  async range(key: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const span = makeSpan(key, opts.end, opts.prefix);
    const limit = checkCount('limit', opts.limit);
    const rev = this.readRevision(checkCount('revision', opts.revision));
    const { items, count } = this.state.planRead(span, rev, limit, !!opts.countOnly);
    const kvs = await this.resolve(items, !!opts.keysOnly);
    return { kvs, count, more: !opts.countOnly && limit > 0 && count > limit, revision: this.durable };
  }

  /** The revision a read at `requested` (0 = current) is served at. */
  private readRevision(requested: number): number {
    if (requested === 0) return this.durable;
    if (requested > this.durable) throw new FutureRevisionError(this.durable);
    if (requested < this.state.compactRevision) throw new CompactedError(this.state.compactRevision);
    return requested;
  }

  /** Turns read items into KeyValues, fetching older versions from LevelDB in one getMany. */
  private async resolve(items: ReadItem[], keysOnly: boolean): Promise<KeyValue[]> {
    const out: KeyValue[] = new Array(items.length);
    const fetch: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if ('kv' in it) out[i] = copyKv(it.kv, keysOnly);
      else fetch.push(i);
    }
    if (fetch.length) {
      const keys = fetch.map((i) => {
        const p = items[i] as { revision: number; sub: number };
        return recordKey(p.revision, p.sub);
      });
      const raw = await this.db.getMany(keys);
      for (let j = 0; j < fetch.length; j++) {
        const v = raw[j];
        // Compaction removed it between planning and reading.
        if (!v) throw new CompactedError(this.state.compactRevision);
        const p = items[fetch[j]] as { revision: number; sub: number };
        out[fetch[j]] = recordKv(decodeRecord(p.revision, p.sub, v), keysOnly);
      }
    }
    return out;
  }

  /** {@inheritDoc KV.currentRevision} */
  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.durable;
  }

  /** {@inheritDoc KV.compactRevision} */
  async compactRevision(): Promise<number> {
    this.checkOpen();
    return this.state.compactRevision;
  }

  // ---- compaction ----

  /** {@inheritDoc KV.compact} */
  async compact(revision: number): Promise<void> {
    this.checkOpen();
    const rev = checkCount('revision', revision);
    if (rev === 0) throw new InvalidArgumentError('compact revision must be positive');
    const run = this.compacting.then(async () => {
      this.checkOpen();
      if (rev <= this.state.compactRevision) throw new CompactedError(this.state.compactRevision);
      if (rev > this.durable) throw new FutureRevisionError(this.durable);
      const dropped = this.state.compact(rev);
      for (const w of this.hub.all()) {
        if (!w.synced && w.nextRev < rev) this.hub.fail(w, new CompactedError(rev));
      }
      const ops: Array<{ type: 'del'; key: Buffer } | { type: 'put'; key: Buffer; value: Buffer }> =
        dropped.map((d) => ({ type: 'del' as const, key: recordKey(d.revision, d.sub) }));
      ops.push({ type: 'put', key: META_COMPACT, value: encodeU64(rev) });
      try {
        await this.db.batch(ops, { sync: this.sync });
      } catch (err) {
        this.fail(
          new StoreFailedError(
            `LevelDB compaction write failed; reopen the store: ${(err as Error).message}`,
          ),
        );
        throw this.failed;
      }
      return dropped.length;
    });
    // Deleted records only free disk when LevelDB compacts their files; after a large compaction
    // ask it to do so now, in the background (the next compaction and close() wait for it).
    this.compacting = run.then(
      async (dropped) => {
        const db = this.db as unknown as { compactRange?(a: Buffer, b: Buffer): Promise<void> };
        if (dropped >= COMPACT_RANGE_MIN && typeof db.compactRange === 'function') {
          await db.compactRange(recordKey(0, 0), recordKey(rev, 0)).catch(() => undefined);
        }
      },
      () => undefined,
    );
    await run;
  }

  // ---- watch ----

  /** {@inheritDoc KV.watch} */
  watch(key: string, opts: WatchOptions, cb: WatchCallbacks): WatchHandle {
    opts = opts ?? {};
    let span: KeySpan;
    let start: number;
    try {
      this.checkOpen();
      span = makeSpan(key, opts?.end, opts?.prefix);
      start = checkCount('startRevision', opts?.startRevision);
    } catch (err) {
      let done = false;
      queueMicrotask(() => {
        if (!done) cb.onError(err as Error);
      });
      return { id: 0, cancel: () => void (done = true) };
    }
    const compacted = start > 0 && start < this.state.compactRevision;
    const synced = start === 0 || start > this.durable;
    const w = this.hub.add({
      span,
      prevKv: !!opts.prevKv,
      progressNotify: !!opts.progressNotify,
      cb,
      nextRev: start === 0 ? this.durable + 1 : start,
      synced: synced && !compacted,
    });
    if (compacted) {
      const cr = this.state.compactRevision;
      queueMicrotask(() => this.hub.fail(w, new CompactedError(cr)));
    } else if (!w.synced) {
      void this.catchUp(w);
    }
    return { id: w.id, cancel: () => this.hub.remove(w) };
  }

  /**
   * Brings a watcher that starts in the past up to the durable revision by reading the revision
   * log, then hands it to the live dispatcher. The check "caught up?" and the switch to synced
   * happen in one synchronous step, so no committed group falls between the two.
   */
  private async catchUp(w: Watcher): Promise<void> {
    try {
      while (!w.done) {
        if (w.nextRev < this.state.compactRevision) {
          this.hub.fail(w, new CompactedError(this.state.compactRevision));
          return;
        }
        const target = this.durable;
        if (w.nextRev > target) {
          w.synced = true;
          return;
        }
        // Created synchronously after the compaction check: LevelDB iterators read a snapshot.
        const it = this.db.iterator({ gte: recordKey(w.nextRev, 0), lte: recordKey(target, 0xffffffff) });
        try {
          let buf: ChangeRecord[] = [];
          for (;;) {
            const batch = await it.nextv(CATCH_UP_CHUNK);
            if (w.done) return;
            for (const [k, v] of batch) {
              const { revision, sub } = parseRecordKey(k);
              const rec = decodeRecord(revision, sub, v);
              if (spanContains(w.span, rec.key)) buf.push(rec);
            }
            const end = batch.length === 0;
            // Deliver whole revisions only: hold back the last revision until the next batch.
            let cut = buf.length;
            if (!end && buf.length) {
              const last = buf[buf.length - 1].revision;
              while (cut > 0 && buf[cut - 1].revision === last) cut--;
            }
            if (cut > 0 && (end || cut >= CATCH_UP_CHUNK)) {
              const events = await this.toEvents(buf.slice(0, cut), w.prevKv);
              if (w.done) return;
              w.nextRev = buf[cut - 1].revision + 1;
              buf = buf.slice(cut);
              this.hub.deliver(w, events, target);
            }
            if (end) break;
          }
        } finally {
          await it.close();
        }
        if (w.nextRev <= target) w.nextRev = target + 1;
      }
    } catch (err) {
      if (!w.done) this.hub.fail(w, err as Error);
    }
  }

  private async toEvents(recs: ChangeRecord[], prevKv: boolean): Promise<WatchEvent[]> {
    const events: WatchEvent[] = recs.map((r) => ({
      type: r.deleted ? 'delete' : 'put',
      kv: r.deleted
        ? { key: r.key, value: EMPTY, createRevision: 0, modRevision: r.revision, version: 0 }
        : recordKv(r, false),
    }));
    if (!prevKv) return events;
    const want: Array<{ i: number; key: Buffer; revision: number; sub: number }> = [];
    for (let i = 0; i < recs.length; i++) {
      const p = this.state.prevPointer(recs[i].key, recs[i].revision);
      if (p) want.push({ i, key: recordKey(p.revision, p.sub), ...p });
    }
    if (want.length) {
      const raw = await this.db.getMany(want.map((x) => x.key));
      for (let j = 0; j < want.length; j++) {
        const v = raw[j];
        if (v) events[want[j].i].prevKv = recordKv(decodeRecord(want[j].revision, want[j].sub, v), false);
      }
    }
    return events;
  }

  /**
   * Sends onProgress(durable revision) to every synced watcher now (etcd's RequestProgress).
   * Idle progressNotify watchers also get one every `progressIntervalMs`.
   */
  requestProgress(): void {
    this.hub.progress(this.durable, false);
  }

  /** Number of live watches (for metrics and tests). */
  get watchCount(): number {
    return this.hub.size;
  }

  // ---- lifecycle ----

  /** {@inheritDoc KV.close} Pending writes finish first; live watches end with StoreClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.writing) await new Promise<void>((r) => this.idle.push(r));
    await this.compacting;
    for (const w of this.hub.all()) this.hub.fail(w, new StoreClosedError('store closed'));
    await this.db.close();
  }
}

/** LevelDB key of a commit() meta entry ('m.' + name; 'mcompact' stays the store's own). */
function metaKey(name: string): Buffer {
  return Buffer.from(`m.${name}`);
}

function recordKv(r: ChangeRecord, keysOnly: boolean): KeyValue {
  return {
    key: r.key,
    value: keysOnly ? EMPTY : r.value,
    createRevision: r.createRevision,
    modRevision: r.revision,
    version: r.version,
  };
}
