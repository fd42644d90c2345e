import { MemoryKV, prefixEnd } from './memory-kv';
import { KvStorage } from './kv-storage';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, StorageCompactedError } from '../errors';

const b = (s: string) => Buffer.from(s);

it('computes prefix ends like etcd', () => {
  expect(prefixEnd('/registry/pods/')).toBe('/registry/pods0');
  expect(prefixEnd('a')).toBe('b');
});

it('gives one revision per write starting at 2, reads the past, and compacts', async () => {
  const kv = new MemoryKV();
  expect(await kv.currentRevision()).toBe(1);
  const r1 = await kv.put('/a', b('1'));
  const r2 = await kv.put('/a', b('2'));
  expect([r1.revision, r2.revision]).toEqual([2, 3]);
  expect(Buffer.from((await kv.get('/a', { revision: 2 }))!.value).toString()).toBe('1');
  const cur = (await kv.get('/a'))!;
  expect([cur.createRevision, cur.modRevision, cur.version]).toEqual([2, 3, 2]);
  await kv.delete('/a');
  expect(await kv.get('/a')).toBeUndefined();
  expect(await kv.get('/a', { revision: 3 })).toBeDefined();
  await kv.compact(4);
  await expect(kv.get('/a', { revision: 3 })).rejects.toBeInstanceOf(StorageCompactedError);
});

it('ranges with prefix, limit and count; txns are atomic with one revision', async () => {
  const kv = new MemoryKV();
  const t = await kv.txn(
    [],
    [
      { type: 'put', key: '/p/b', value: b('b') },
      { type: 'put', key: '/p/a', value: b('a') },
      { type: 'put', key: '/q', value: b('q') },
    ],
    [],
  );
  expect(t.revision).toBe(2);
  const r = await kv.range('/p/', { prefix: true, limit: 1 });
  expect(r.kvs.map((x) => x.key)).toEqual(['/p/a']);
  expect([r.count, r.more]).toEqual([2, true]);
  const failed = await kv.txn(
    [{ key: '/q', target: 'modRevision', result: '=', value: 99 }],
    [{ type: 'delete', key: '/q' }],
    [{ type: 'range', key: '/q' }],
  );
  expect(failed.succeeded).toBe(false);
  expect(await kv.currentRevision()).toBe(2);
});

it('watches from a revision with prevKv, in order, and reports compaction', async () => {
  const kv = new MemoryKV();
  await kv.put('/w/1', b('a'));
  const rev = await kv.currentRevision();
  await kv.put('/w/1', b('b'));
  await kv.delete('/w/1');
  const seen: string[] = [];
  const h = kv.watch(
    '/w/',
    { prefix: true, startRevision: rev + 1, prevKv: true },
    {
      onEvents: (evs) =>
        evs.forEach((e) =>
          seen.push(
            `${e.type}:${e.kv.modRevision}:${e.prevKv ? Buffer.from(e.prevKv.value).toString() : ''}`,
          ),
        ),
      onError: () => undefined,
    },
  );
  await kv.put('/w/2', b('c'));
  await new Promise((r) => setTimeout(r, 10));
  h.cancel();
  expect(seen).toEqual(['put:3:a', 'delete:4:b', 'put:5:']);
  await kv.compact(5);
  const err = await new Promise<Error>((resolve) =>
    kv.watch('/w/', { prefix: true, startRevision: 2 }, { onEvents: () => undefined, onError: resolve }),
  );
  expect(err).toBeInstanceOf(StorageCompactedError);
});

it('KvStorage maps compare failures to storage errors', async () => {
  const s = new KvStorage(new MemoryKV());
  const rev = await s.create('/k', b('1'));
  await expect(s.create('/k', b('2'))).rejects.toBeInstanceOf(KeyExistsError);
  await expect(s.update('/k', b('2'), rev + 5)).rejects.toBeInstanceOf(RevisionConflictError);
  await expect(s.update('/missing', b('2'), 3)).rejects.toBeInstanceOf(KeyNotFoundError);
  const rev2 = await s.update('/k', b('2'), rev);
  expect(rev2).toBeGreaterThan(rev);
  await expect(s.delete('/k', rev)).rejects.toBeInstanceOf(RevisionConflictError);
  await s.delete('/k', rev2);
  await expect(s.delete('/k')).rejects.toBeInstanceOf(KeyNotFoundError);
});
