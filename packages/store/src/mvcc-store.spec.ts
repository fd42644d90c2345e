import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { MvccStore } from './mvcc-store';
import { normalizeTxn } from './mvcc-state';
import {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidRangeError,
  StoreClosedError,
  StoreFailedError,
  ValueTooLargeError,
} from './errors';
import { Collector } from './testing/collector';
import { MAX_VALUE_BYTES } from './span';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);

describe('MvccStore', () => {
  let dir: string;
  let store: MvccStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keelson-store-spec-'));
    store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('revisions', () => {
    it('starts at revision 1 and adds one per write', async () => {
      expect(await store.currentRevision()).toBe(1);
      expect((await store.put('a', enc('1'))).revision).toBe(2);
      expect((await store.put('b', enc('1'))).revision).toBe(3);
      expect((await store.delete('a')).revision).toBe(4);
      expect(await store.currentRevision()).toBe(4);
    });

    it('tracks createRevision, modRevision and version per key', async () => {
      await store.put('k', enc('v1'));
      await store.put('other', enc('x'));
      await store.put('k', enc('v2'));
      expect(await store.get('k')).toEqual({
        key: 'k',
        value: enc('v2'),
        createRevision: 2,
        modRevision: 4,
        version: 2,
      });
    });

    it('restarts version and createRevision after a delete', async () => {
      await store.put('k', enc('v1'));
      await store.put('k', enc('v2'));
      await store.delete('k');
      const r = await store.put('k', enc('v3'));
      expect(await store.get('k')).toEqual({
        key: 'k',
        value: enc('v3'),
        createRevision: r.revision,
        modRevision: r.revision,
        version: 1,
      });
    });

    it('does not create a revision when a delete removes nothing', async () => {
      await store.put('a', enc('1'));
      const r = await store.delete('missing');
      expect(r).toEqual({ revision: 2, deleted: 0, prevKvs: [] });
      expect(await store.currentRevision()).toBe(2);
    });

    it('returns the previous value on put and delete when asked', async () => {
      await store.put('k', enc('v1'));
      const p = await store.put('k', enc('v2'), { prevKv: true });
      expect(p.prevKv && dec(p.prevKv.value)).toBe('v1');
      expect((await store.put('k', enc('v3'))).prevKv).toBeUndefined();
      const d = await store.delete('k', { prevKv: true });
      expect(d.deleted).toBe(1);
      expect(d.prevKvs.map((kv) => dec(kv.value))).toEqual(['v3']);
    });

    it('reads keys as they were at a past revision, including deleted ones', async () => {
      const r1 = (await store.put('k', enc('v1'))).revision;
      const r2 = (await store.put('k', enc('v2'))).revision;
      const r3 = (await store.delete('k')).revision;
      expect(dec((await store.get('k', { revision: r1 }))!.value)).toBe('v1');
      expect(dec((await store.get('k', { revision: r2 }))!.value)).toBe('v2');
      expect(await store.get('k', { revision: r3 })).toBeUndefined();
      expect(await store.get('k', { revision: 1 })).toBeUndefined();
      await expect(store.get('k', { revision: r3 + 1 })).rejects.toBeInstanceOf(FutureRevisionError);
    });

    it('orders revisions exactly under concurrent writers (group commit)', async () => {
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => store.put(`k${i}`, enc(String(i)))),
      );
      const revs = results.map((r) => r.revision).sort((a, b) => a - b);
      expect(revs).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
      // Each key's modRevision is the revision its put returned.
      for (let i = 0; i < 500; i += 50)
        expect((await store.get(`k${i}`))!.modRevision).toBe(results[i].revision);
    });
  });

  describe('range', () => {
    beforeEach(async () => {
      for (const k of ['a', 'b/1', 'b/2', 'b/3', 'c']) await store.put(k, enc(`v-${k}`));
    });

    it('reads a prefix in key order', async () => {
      const r = await store.range('b/', { prefix: true });
      expect(r.kvs.map((kv) => kv.key)).toEqual(['b/1', 'b/2', 'b/3']);
      expect(r).toMatchObject({ count: 3, more: false, revision: 6 });
    });

    it('reads [key, end) and key-and-above with end "\\0"', async () => {
      expect((await store.range('b/2', { end: 'c' })).kvs.map((kv) => kv.key)).toEqual(['b/2', 'b/3']);
      expect((await store.range('b/3', { end: '\0' })).kvs.map((kv) => kv.key)).toEqual(['b/3', 'c']);
      expect((await store.range('', { prefix: true })).count).toBe(5);
    });

    it('applies limit with count and more', async () => {
      const r = await store.range('b/', { prefix: true, limit: 2 });
      expect(r.kvs.map((kv) => kv.key)).toEqual(['b/1', 'b/2']);
      expect(r.count).toBe(3);
      expect(r.more).toBe(true);
      expect((await store.range('b/', { prefix: true, limit: 3 })).more).toBe(false);
    });

    it('supports countOnly and keysOnly', async () => {
      const c = await store.range('b/', { prefix: true, countOnly: true });
      expect(c.kvs).toEqual([]);
      expect(c.count).toBe(3);
      const k = await store.range('b/', { prefix: true, keysOnly: true });
      expect(k.kvs.map((kv) => [kv.key, kv.value.length, kv.version])).toEqual([
        ['b/1', 0, 1],
        ['b/2', 0, 1],
        ['b/3', 0, 1],
      ]);
    });

    it('reads a range at a past revision from disk', async () => {
      await store.put('b/2', enc('new'));
      await store.delete('b/1');
      await store.put('b/4', enc('v-b/4'));
      const old = await store.range('b/', { prefix: true, revision: 6 });
      expect(old.kvs.map((kv) => `${kv.key}=${dec(kv.value)}@${kv.modRevision}`)).toEqual([
        'b/1=v-b/1@3',
        'b/2=v-b/2@4',
        'b/3=v-b/3@5',
      ]);
      expect(old.revision).toBe(9);
      const old2 = await store.range('b/', { prefix: true, revision: 7, limit: 1, keysOnly: true });
      expect(old2.kvs.map((kv) => [kv.key, kv.value.length])).toEqual([['b/1', 0]]);
      expect(old2.count).toBe(3);
      const now = await store.range('b/', { prefix: true });
      expect(now.kvs.map((kv) => `${kv.key}=${dec(kv.value)}`)).toEqual([
        'b/2=new',
        'b/3=v-b/3',
        'b/4=v-b/4',
      ]);
    });
  });

  describe('txn', () => {
    it('runs success ops atomically at one revision when compares hold', async () => {
      await store.put('a', enc('1'));
      const r = await store.txn(
        [{ key: 'a', target: 'value', result: '=', value: enc('1') }],
        [
          { type: 'put', key: 'a', value: enc('2') },
          { type: 'put', key: 'b', value: enc('x') },
          { type: 'range', key: 'a' },
        ],
        [{ type: 'put', key: 'failed', value: enc('y') }],
      );
      expect(r.succeeded).toBe(true);
      expect(r.revision).toBe(3);
      expect((await store.get('a'))!.modRevision).toBe(3);
      expect((await store.get('b'))!.modRevision).toBe(3);
      // A range inside the txn sees the txn's earlier writes.
      const rr = r.responses[2] as { type: 'range'; result: { kvs: Array<{ value: Uint8Array }> } };
      expect(dec(rr.result.kvs[0].value)).toBe('2');
      expect(await store.get('failed')).toBeUndefined();
    });

    it('runs failure ops when a compare fails (optimistic concurrency on modRevision)', async () => {
      const { revision } = await store.put('obj', enc('v1'));
      await store.put('obj', enc('v2'));
      const r = await store.txn(
        [{ key: 'obj', target: 'modRevision', result: '=', value: revision }],
        [{ type: 'put', key: 'obj', value: enc('stale') }],
        [{ type: 'range', key: 'obj' }],
      );
      expect(r.succeeded).toBe(false);
      expect(r.revision).toBe(3); // read-only branch: no new revision
      expect(await store.currentRevision()).toBe(3);
      const rr = r.responses[0] as { type: 'range'; result: { kvs: Array<{ value: Uint8Array }> } };
      expect(dec(rr.result.kvs[0].value)).toBe('v2');
    });

    it('compares a missing key as version/createRevision/modRevision 0 (create-if-absent)', async () => {
      const create = () =>
        store.txn(
          [{ key: 'new', target: 'createRevision', result: '=', value: 0 }],
          [{ type: 'put', key: 'new', value: enc('x') }],
          [],
        );
      expect((await create()).succeeded).toBe(true);
      expect((await create()).succeeded).toBe(false);
      expect(
        (await store.txn([{ key: 'absent', target: 'value', result: '!=', value: enc('x') }], [], []))
          .succeeded,
      ).toBe(false);
    });

    it('supports < and > on version', async () => {
      await store.put('v', enc('1'));
      await store.put('v', enc('2'));
      const t = (result: '<' | '>', value: number) =>
        store.txn([{ key: 'v', target: 'version', result, value }], [], []).then((r) => r.succeeded);
      expect(await t('>', 1)).toBe(true);
      expect(await t('<', 2)).toBe(false);
      expect(await t('<', 3)).toBe(true);
    });

    it('deletes a range in a txn and reports prevKvs', async () => {
      for (const k of ['p/1', 'p/2', 'q']) await store.put(k, enc(k));
      const r = await store.txn([], [{ type: 'delete', key: 'p/', prefix: true, prevKv: true }], []);
      expect(r.responses[0]).toMatchObject({ type: 'delete', deleted: 2 });
      expect((r.responses[0] as { prevKvs: Array<{ key: string }> }).prevKvs.map((kv) => kv.key)).toEqual([
        'p/1',
        'p/2',
      ]);
      expect((await store.range('', { prefix: true })).kvs.map((kv) => kv.key)).toEqual(['q']);
    });

    it('rejects duplicate keys in one branch and leaves the store unchanged', async () => {
      await expect(
        store.txn(
          [],
          [
            { type: 'put', key: 'd', value: enc('1') },
            { type: 'put', key: 'd', value: enc('2') },
          ],
          [],
        ),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      await expect(
        store.txn(
          [],
          [
            { type: 'put', key: 'd/1', value: enc('1') },
            { type: 'delete', key: 'd/', prefix: true },
          ],
          [],
        ),
      ).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await store.currentRevision()).toBe(1);
    });
  });

  describe('bad input', () => {
    it('rejects empty keys, oversized values and invalid ranges with named errors', async () => {
      await expect(store.put('', enc('x'))).rejects.toBeInstanceOf(EmptyKeyError);
      await expect(store.put('k', new Uint8Array(MAX_VALUE_BYTES + 1))).rejects.toBeInstanceOf(
        ValueTooLargeError,
      );
      await expect(store.range('b', { end: 'a' })).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.range('b', { end: 'b' })).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.range('a', { end: 'b', prefix: true })).rejects.toBeInstanceOf(InvalidRangeError);
      await expect(store.range('a', { limit: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.range('a', { revision: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.get('')).rejects.toBeInstanceOf(EmptyKeyError);
      await expect(store.delete('')).rejects.toBeInstanceOf(EmptyKeyError);
      await expect(store.put('k', 'text' as unknown as Uint8Array)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(
        store.txn([{ key: 'k', target: 'bogus' as 'value', result: '=', value: 1 }], [], []),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(
        store.txn(
          [],
          [
            { type: 'put', key: 'ok', value: enc('1') },
            { type: 'put', key: '', value: enc('1') },
          ],
          [],
        ),
      ).rejects.toBeInstanceOf(EmptyKeyError);
      // Nothing was written, and a value exactly at the limit is accepted.
      expect(await store.currentRevision()).toBe(1);
      expect(await store.get('ok')).toBeUndefined();
      expect((await store.put('k', new Uint8Array(MAX_VALUE_BYTES))).revision).toBe(2);
    });

    it('rejects keys with lone surrogates (they would not survive UTF-8) but takes astral characters', async () => {
      await expect(store.put('bad\uD800', enc('x'))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.put('bad\uDC00x', enc('x'))).rejects.toBeInstanceOf(InvalidArgumentError);
      const key = 'pod-\u{1F600}';
      await store.put(key, enc('x'));
      await store.close();
      store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
      expect((await store.get(key))?.key).toBe(key);
    });

    it('rejects calls after close', async () => {
      const d2 = mkdtempSync(join(tmpdir(), 'keelson-store-spec-'));
      const s2 = await MvccStore.open(d2, { sync: false, progressIntervalMs: 0 });
      await s2.close();
      await expect(s2.put('k', enc('v'))).rejects.toBeInstanceOf(StoreClosedError);
      rmSync(d2, { recursive: true, force: true });
    });
  });

  describe('commit (the replication seam)', () => {
    it('applies ordered txns in one batch with meta entries that survive reopen', async () => {
      const watch = new Collector();
      store.watch('r/', { prefix: true }, watch);
      const results = await store.commit(
        [
          normalizeTxn([], [{ type: 'put', key: 'r/a', value: enc('1') }], []),
          normalizeTxn(
            [{ key: 'r/a', target: 'version', result: '=', value: 1 }],
            [{ type: 'put', key: 'r/a', value: enc('2') }],
            [],
          ),
          normalizeTxn(
            [{ key: 'r/a', target: 'version', result: '=', value: 1 }],
            [],
            [{ type: 'range', key: 'r/a' }],
          ),
        ],
        [{ name: 'raft-applied', value: Uint8Array.of(0, 7) }],
      );
      expect(results.map((r) => [r.succeeded, r.revision])).toEqual([
        [true, 2],
        [true, 3],
        [false, 3],
      ]);
      expect(watch.events.map((e) => e.kv.modRevision)).toEqual([2, 3]);
      await store.close();
      store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
      expect(await store.readMeta('raft-applied')).toEqual(Uint8Array.of(0, 7));
      expect(await store.readMeta('absent')).toBeUndefined();
      expect(dec((await store.get('r/a'))!.value)).toBe('2');
    });
  });

  describe('storage failure', () => {
    it('stops accepting requests after a failed LevelDB write and reopens at the last durable state', async () => {
      await store.put('k', enc('durable'));
      const db = (store as unknown as { db: { batch: (...a: unknown[]) => Promise<void> } }).db;
      const realBatch = db.batch.bind(db);
      db.batch = () => Promise.reject(new Error('injected I/O error'));
      const watch = new Collector();
      store.watch('k', {}, watch);
      await expect(store.put('k', enc('lost'))).rejects.toBeInstanceOf(StoreFailedError);
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreFailedError);
      expect(watch.error).toBeInstanceOf(StoreFailedError);
      db.batch = realBatch;
      await store.close();
      store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
      expect(await store.currentRevision()).toBe(2);
      expect(dec((await store.get('k'))!.value)).toBe('durable');
    });
  });

  describe('compaction', () => {
    it('drops history but keeps every current value', async () => {
      await store.put('a', enc('a1')); // 2
      await store.put('a', enc('a2')); // 3
      await store.put('b', enc('b1')); // 4
      await store.delete('b'); // 5
      await store.put('c', enc('c1')); // 6
      await store.put('a', enc('a3')); // 7
      await store.compact(6);
      expect(await store.compactRevision()).toBe(6);
      await expect(store.get('a', { revision: 5 })).rejects.toBeInstanceOf(CompactedError);
      await expect(store.range('a', { revision: 2 })).rejects.toMatchObject({ compactRevision: 6 });
      // At the compact revision itself, reads still work.
      const at6 = await store.range('', { prefix: true, revision: 6 });
      expect(at6.kvs.map((kv) => `${kv.key}=${dec(kv.value)}`)).toEqual(['a=a2', 'c=c1']);
      const now = await store.range('', { prefix: true });
      expect(now.kvs.map((kv) => `${kv.key}=${dec(kv.value)}@${kv.createRevision}/${kv.version}`)).toEqual([
        'a=a3@2/3',
        'c=c1@6/1',
      ]);
      await expect(store.compact(6)).rejects.toBeInstanceOf(CompactedError);
      await expect(store.compact(100)).rejects.toBeInstanceOf(FutureRevisionError);
    });

    it('persists compaction across reopen and keeps values readable', async () => {
      for (let i = 0; i < 20; i++) await store.put(`k${i % 5}`, enc(`v${i}`));
      const rev = await store.currentRevision();
      await store.compact(rev - 2);
      await store.close();
      // The superseded records are gone from LevelDB: per key, the latest at or before the
      // compact revision plus anything newer (k3 and k4 were written after it).
      const raw = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      const records = await raw.keys({ gte: Buffer.from('r'), lt: Buffer.from('s') }).all();
      await raw.close();
      expect(records.length).toBe(7);
      store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
      expect(await store.compactRevision()).toBe(rev - 2);
      expect(await store.currentRevision()).toBe(rev);
      const all = await store.range('k', { prefix: true });
      expect(all.kvs.map((kv) => dec(kv.value))).toEqual(['v15', 'v16', 'v17', 'v18', 'v19']);
      expect(dec((await store.get('k2', { revision: rev - 2 }))!.value)).toBe('v17');
    });
  });

  describe('reopen', () => {
    it('yields the same revision and data after close and open', async () => {
      await store.put('x', enc('1'));
      await store.put('y', enc('2'));
      await store.put('x', enc('3'));
      await store.delete('y');
      const before = await store.range('', { prefix: true });
      await store.close();
      store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
      expect(await store.currentRevision()).toBe(5);
      expect(await store.range('', { prefix: true })).toEqual(before);
      expect(dec((await store.get('y', { revision: 3 }))!.value)).toBe('2');
      expect((await store.put('z', enc('4'))).revision).toBe(6);
      expect(await store.get('x')).toMatchObject({ createRevision: 2, version: 2 });
    });
  });
});
