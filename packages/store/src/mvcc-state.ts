// The store's in-memory MVCC state machine: no I/O, no timers. `applyTxn` is "apply one write
// batch at revision N": deterministic given the state and the request, so a later Raft layer can
// call it for each committed log entry in log order on every member. The caller persists the
// returned changes (MvccStore writes them as one LevelDB batch) and dispatches the events.
// Semantics: etcd v3 mvcc (revision per txn, create/mod revision, version, tombstones).
import { DuplicateKeyError, InvalidArgumentError } from './errors';
import { KeyIndex, lastAtOrBefore, type KeyEntry } from './key-index';
import type { ChangeRecord } from './codec';
import { MAX_TXN_OPS, checkCount, checkKey, checkValue, makeSpan, spanContains, type KeySpan } from './span';
import type { Compare, KeyValue, RangeResult, TxnOp, TxnResult, WatchEvent } from './types';

const EMPTY = new Uint8Array(0);

/** A validated txn op. */
export type NormalOp =
  | { type: 'put'; key: string; value: Uint8Array; prevKv: boolean }
  | { type: 'delete'; span: KeySpan; prevKv: boolean }
  | { type: 'range'; span: KeySpan; limit: number; countOnly: boolean; keysOnly: boolean };

/** A validated compare. */
export interface NormalCompare {
  key: string;
  target: Compare['target'];
  result: Compare['result'];
  value: Uint8Array | number;
}

/** A validated txn: the unit applied at one revision. */
export interface NormalTxn {
  compares: NormalCompare[];
  success: NormalOp[];
  failure: NormalOp[];
}

/** One change produced by a txn, with the event it causes. */
export interface Change {
  record: ChangeRecord;
  event: WatchEvent;
}

/** What applying a txn did. `changes` is empty when nothing was written (no new revision). */
export interface Applied {
  result: TxnResult;
  changes: Change[];
}

/** A read plan item: a value in memory, or a record to fetch from disk. */
export type ReadItem = { kv: KeyValue } | { revision: number; sub: number };

const TARGETS = new Set(['value', 'version', 'createRevision', 'modRevision']);
const RESULTS = new Set(['=', '!=', '<', '>']);

function normalOp(op: TxnOp & { prevKv?: boolean }): NormalOp {
  if (!op || typeof op !== 'object') throw new InvalidArgumentError('txn op must be an object');
  switch (op.type) {
    case 'put':
      // Copied: the store keeps the value, and the caller may reuse its buffer.
      return {
        type: 'put',
        key: checkKey(op.key),
        value: new Uint8Array(checkValue(op.value)),
        prevKv: !!op.prevKv,
      };
    case 'delete':
      return { type: 'delete', span: makeSpan(op.key, op.end, op.prefix), prevKv: !!op.prevKv };
    case 'range': {
      const o = op.options ?? {};
      if (checkCount('revision', o.revision) !== 0) {
        throw new InvalidArgumentError('a range inside a txn reads the current revision; revision must be 0');
      }
      return {
        type: 'range',
        span: makeSpan(op.key, o.end, o.prefix),
        limit: checkCount('limit', o.limit),
        countOnly: !!o.countOnly,
        keysOnly: !!o.keysOnly,
      };
    }
    default:
      throw new InvalidArgumentError(`unknown txn op type ${JSON.stringify((op as { type: unknown }).type)}`);
  }
}

function normalOps(ops: unknown, branch: string): NormalOp[] {
  if (!Array.isArray(ops)) throw new InvalidArgumentError(`txn ${branch} must be an array`);
  if (ops.length > MAX_TXN_OPS)
    throw new InvalidArgumentError(`txn ${branch} has ${ops.length} ops, more than ${MAX_TXN_OPS}`);
  const out = ops.map(normalOp);
  // etcd: a key may be put at most once per branch, and no delete range may cover a put key.
  const puts = new Set<string>();
  for (const op of out) {
    if (op.type !== 'put') continue;
    if (puts.has(op.key))
      throw new DuplicateKeyError(`duplicate key ${JSON.stringify(op.key)} in txn ${branch}`);
    puts.add(op.key);
  }
  if (puts.size) {
    for (const op of out) {
      if (op.type !== 'delete') continue;
      for (const k of puts) {
        if (spanContains(op.span, k)) {
          throw new DuplicateKeyError(`txn ${branch} both puts and deletes key ${JSON.stringify(k)}`);
        }
      }
    }
  }
  return out;
}

/**
 * Validates a txn request.
 * @throws InvalidArgumentError (and subclasses EmptyKeyError, ValueTooLargeError,
 *         InvalidRangeError, DuplicateKeyError) for bad input.
 */
export function normalizeTxn(compares: unknown, success: unknown, failure: unknown): NormalTxn {
  if (!Array.isArray(compares)) throw new InvalidArgumentError('txn compares must be an array');
  const cs = compares.map((c: Compare): NormalCompare => {
    if (!c || typeof c !== 'object') throw new InvalidArgumentError('compare must be an object');
    const key = checkKey(c.key);
    if (!TARGETS.has(c.target))
      throw new InvalidArgumentError(`unknown compare target ${JSON.stringify(c.target)}`);
    if (!RESULTS.has(c.result))
      throw new InvalidArgumentError(`unknown compare result ${JSON.stringify(c.result)}`);
    if (c.target === 'value') {
      if (!(c.value instanceof Uint8Array))
        throw new InvalidArgumentError('a value compare needs a Uint8Array value');
    } else if (typeof c.value !== 'number' || !Number.isSafeInteger(c.value)) {
      throw new InvalidArgumentError(`a ${c.target} compare needs an integer value`);
    }
    return { key, target: c.target, result: c.result, value: c.value };
  });
  return { compares: cs, success: normalOps(success, 'success'), failure: normalOps(failure, 'failure') };
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareHolds(c: NormalCompare, kv: KeyValue | undefined): boolean {
  let order: number;
  if (c.target === 'value') {
    if (!kv) return false;
    order = Buffer.compare(kv.value, c.value as Uint8Array);
  } else {
    const actual = kv ? kv[c.target] : 0;
    order = cmp(actual, c.value as number);
  }
  switch (c.result) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
  }
}

/** Copies a KeyValue (the value bytes are shared and must be treated as read-only). */
export function copyKv(kv: KeyValue, keysOnly = false): KeyValue {
  return {
    key: kv.key,
    value: keysOnly ? EMPTY : kv.value,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
  };
}

/** The in-memory MVCC state: key index, applied revision, compact revision. */
export class MvccState {
  readonly index = new KeyIndex();
  /** Revision of the last applied txn; 1 for an empty store (etcd starts at 1). */
  revision = 1;
  /** Revision of the last compaction; 0 = never. */
  compactRevision = 0;

  /**
   * Applies one validated txn at revision `this.revision + 1` if it writes anything.
   * Never throws for a request that passed {@link normalizeTxn}.
   */
  applyTxn(txn: NormalTxn): Applied {
    const succeeded = txn.compares.every((c) => compareHolds(c, this.index.get(c.key)?.current));
    const ops = succeeded ? txn.success : txn.failure;
    const rev = this.revision + 1;
    const changes: Change[] = [];
    const responses: TxnResult['responses'] = [];
    const ranges: RangeResult[] = [];
    for (const op of ops) {
      if (op.type === 'put') {
        const e = this.index.getOrCreate(op.key);
        const prev = e.current;
        const kv: KeyValue = {
          key: op.key,
          value: op.value,
          createRevision: prev ? prev.createRevision : rev,
          modRevision: rev,
          version: prev ? prev.version + 1 : 1,
        };
        const sub = changes.length;
        e.history.push({ revision: rev, sub, deleted: false });
        e.current = kv;
        changes.push({
          record: {
            revision: rev,
            sub,
            deleted: false,
            key: op.key,
            value: op.value,
            createRevision: kv.createRevision,
            version: kv.version,
          },
          event: prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv },
        });
        responses.push(op.prevKv && prev ? { type: 'put', prevKv: copyKv(prev) } : { type: 'put' });
      } else if (op.type === 'delete') {
        const prevKvs: KeyValue[] = [];
        let deleted = 0;
        for (const e of this.index.entries(op.span)) {
          const prev = e.current;
          if (!prev) continue;
          deleted++;
          if (op.prevKv) prevKvs.push(copyKv(prev));
          const sub = changes.length;
          e.history.push({ revision: rev, sub, deleted: true });
          e.current = undefined;
          changes.push({
            record: {
              revision: rev,
              sub,
              deleted: true,
              key: e.key,
              value: EMPTY,
              createRevision: 0,
              version: 0,
            },
            event: {
              type: 'delete',
              kv: { key: e.key, value: EMPTY, createRevision: 0, modRevision: rev, version: 0 },
              prevKv: prev,
            },
          });
        }
        responses.push({ type: 'delete', deleted, prevKvs });
      } else {
        const result = this.rangeCurrent(op);
        ranges.push(result);
        responses.push({ type: 'range', result });
      }
    }
    if (changes.length) this.revision = rev;
    for (const r of ranges) r.revision = this.revision;
    return { result: { succeeded, revision: this.revision, responses }, changes };
  }

  /** A range over the current (applied) state: all values are in memory. */
  private rangeCurrent(op: Extract<NormalOp, { type: 'range' }>): RangeResult {
    const kvs: KeyValue[] = [];
    let count = 0;
    const take = op.countOnly ? 0 : op.limit === 0 ? Infinity : op.limit;
    this.index.scan(op.span, (e) => {
      if (!e.current) return;
      count++;
      if (kvs.length < take) kvs.push(copyKv(e.current, op.keysOnly));
    });
    return { kvs, count, more: !op.countOnly && op.limit > 0 && count > op.limit, revision: this.revision };
  }

  /**
   * Plans a read of `span` as of `revision` (which must be <= every applied-but-unsynced change's
   * predecessor, i.e. the durable revision): values still current come from memory, older ones
   * are (revision, sub) pointers into LevelDB.
   */
  planRead(
    span: KeySpan,
    revision: number,
    limit: number,
    countOnly: boolean,
  ): { items: ReadItem[]; count: number } {
    const items: ReadItem[] = [];
    let count = 0;
    const take = countOnly ? 0 : limit === 0 ? Infinity : limit;
    this.index.scan(span, (e) => {
      const item = this.itemAt(e, revision);
      if (!item) return;
      count++;
      if (items.length < take) items.push(item);
    });
    return { items, count };
  }

  /** The read item of one key as of `revision`, undefined if the key did not exist then. */
  itemAt(e: KeyEntry, revision: number): ReadItem | undefined {
    const h = e.history;
    const i = lastAtOrBefore(h, revision);
    if (i < 0 || h[i].deleted) return undefined;
    if (i === h.length - 1 && e.current) return { kv: e.current };
    return { revision: h[i].revision, sub: h[i].sub };
  }

  /**
   * Pointer to the change of `key` just before (revision, sub), for a watch event's prevKv;
   * undefined if that change was a delete, is compacted away, or never existed.
   */
  prevPointer(key: string, revision: number): { revision: number; sub: number } | undefined {
    const e = this.index.get(key);
    if (!e) return undefined;
    const i = lastAtOrBefore(e.history, revision - 1);
    if (i < 0 || e.history[i].deleted) return undefined;
    return { revision: e.history[i].revision, sub: e.history[i].sub };
  }

  /** Replays one durable record when opening a store (records arrive in revision order). */
  load(r: ChangeRecord): void {
    const e = this.index.getOrCreate(r.key);
    e.history.push({ revision: r.revision, sub: r.sub, deleted: r.deleted });
    e.current = r.deleted
      ? undefined
      : {
          key: r.key,
          value: r.value,
          createRevision: r.createRevision,
          modRevision: r.revision,
          version: r.version,
        };
    if (r.revision > this.revision) this.revision = r.revision;
  }

  /**
   * Compacts the index at `revision` (etcd keyIndex.compact): for each key, every change before
   * the last one at or before `revision` goes, and that one too if it is a delete older than
   * `revision`; changes at `revision` itself stay, so reads and watches from `revision` still work.
   * Keys left without history leave the index. Returns the (revision, sub) of dropped records.
   * The caller validated 0 < revision <= durable revision and revision > compactRevision.
   */
  compact(revision: number): Array<{ revision: number; sub: number }> {
    const dropped: Array<{ revision: number; sub: number }> = [];
    for (const e of this.index.all()) {
      const h = e.history;
      let keep = lastAtOrBefore(h, revision);
      if (keep < 0) continue;
      if (h[keep].deleted && h[keep].revision < revision) keep++;
      if (keep === 0) continue;
      for (let i = 0; i < keep; i++) dropped.push({ revision: h[i].revision, sub: h[i].sub });
      e.history = h.slice(keep);
    }
    this.index.removeWhere((e) => e.history.length === 0);
    this.compactRevision = revision;
    return dropped;
  }
}
