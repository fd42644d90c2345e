import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore } from '../mvcc-store';
import { RemoteStore } from './remote-store';
import { startStoreServer, type StoreServer } from './server';
import {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidRangeError,
  StoreClosedError,
  StoreUnavailableError,
  ValueTooLargeError,
} from '../errors';
import { MAX_VALUE_BYTES } from '../span';
import { Collector } from '../testing/collector';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);

describe('RemoteStore over gRPC', () => {
  let dir: string;
  let local: MvccStore;
  let server: StoreServer;
  let remote: RemoteStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keelson-grpc-spec-'));
    local = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
    server = await startStoreServer(local, '127.0.0.1:0');
    remote = new RemoteStore(`127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    await remote.close();
    await server.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips put, get, range, delete and revisions', async () => {
    const r1 = await remote.put('/r/a', enc('1'));
    const r2 = await remote.put('/r/a', enc('2'), { prevKv: true });
    expect(r2.revision).toBe(r1.revision + 1);
    expect(dec(r2.prevKv!.value)).toBe('1');
    await remote.put('/r/b', enc('b'));
    expect(await remote.get('/r/a')).toEqual({
      key: '/r/a',
      value: enc('2'),
      createRevision: r1.revision,
      modRevision: r2.revision,
      version: 2,
    });
    expect(dec((await remote.get('/r/a', { revision: r1.revision }))!.value)).toBe('1');
    expect(await remote.get('/r/missing')).toBeUndefined();
    const range = await remote.range('/r/', { prefix: true, limit: 1, keysOnly: true });
    expect(range.kvs.map((kv) => [kv.key, kv.value.length])).toEqual([['/r/a', 0]]);
    expect(range).toMatchObject({ count: 2, more: true, revision: await remote.currentRevision() });
    expect((await remote.range('/r/', { prefix: true, countOnly: true })).count).toBe(2);
    const d = await remote.delete('/r/', { prefix: true, prevKv: true });
    expect(d.deleted).toBe(2);
    expect(d.prevKvs.map((kv) => kv.key)).toEqual(['/r/a', '/r/b']);
    expect(await remote.currentRevision()).toBe(await local.currentRevision());
  });

  it('round-trips txn compares, ops and responses', async () => {
    const { revision } = await remote.put('/t/obj', enc('v1'));
    const ok = await remote.txn(
      [
        { key: '/t/obj', target: 'modRevision', result: '=', value: revision },
        { key: '/t/obj', target: 'value', result: '=', value: enc('v1') },
      ],
      [
        { type: 'put', key: '/t/obj', value: enc('v2'), prevKv: true },
        { type: 'delete', key: '/t/none' },
        { type: 'range', key: '/t/', options: { prefix: true } },
      ],
      [],
    );
    expect(ok.succeeded).toBe(true);
    expect(ok.revision).toBe(revision + 1);
    expect(ok.responses[0]).toMatchObject({ type: 'put', prevKv: { key: '/t/obj', version: 1 } });
    expect(ok.responses[1]).toEqual({ type: 'delete', deleted: 0, prevKvs: [] });
    const rr = ok.responses[2] as {
      type: 'range';
      result: { kvs: Array<{ value: Uint8Array }>; count: number };
    };
    expect(rr.result.count).toBe(1);
    expect(dec(rr.result.kvs[0].value)).toBe('v2');
    const stale = await remote.txn(
      [{ key: '/t/obj', target: 'version', result: '<', value: 2 }],
      [{ type: 'put', key: '/t/obj', value: enc('lost') }],
      [{ type: 'range', key: '/t/obj' }],
    );
    expect(stale.succeeded).toBe(false);
    expect(stale.responses[0].type).toBe('range');
  });

  it('re-creates the named error classes on the client', async () => {
    await expect(remote.put('', enc('x'))).rejects.toBeInstanceOf(EmptyKeyError);
    await expect(remote.put('k', new Uint8Array(MAX_VALUE_BYTES + 1))).rejects.toBeInstanceOf(
      ValueTooLargeError,
    );
    await expect(remote.range('b', { end: 'a' })).rejects.toBeInstanceOf(InvalidRangeError);
    await expect(remote.range('b', { limit: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      remote.txn(
        [],
        [
          { type: 'put', key: 'd', value: enc('1') },
          { type: 'put', key: 'd', value: enc('2') },
        ],
        [],
      ),
    ).rejects.toBeInstanceOf(DuplicateKeyError);
    const cur = await remote.currentRevision();
    const fut = await remote.get('k', { revision: cur + 10 }).catch((e: unknown) => e);
    expect(fut).toBeInstanceOf(FutureRevisionError);
    expect((fut as FutureRevisionError).currentRevision).toBe(cur);
  });

  it('streams watch events with prevKv, then fails a compacted watch with the compact revision', async () => {
    const c = new Collector();
    const start = (await remote.currentRevision()) + 1;
    remote.watch('/w/', { prefix: true, prevKv: true, startRevision: start }, c);
    await remote.put('/w/a', enc('1'));
    await remote.put('/w/a', enc('2'));
    await remote.delete('/w/a');
    await c.until(() => c.events.length === 3);
    expect(
      c.events.map((e) => `${e.type}@${e.kv.modRevision}<${e.prevKv ? dec(e.prevKv.value) : '-'}`),
    ).toEqual([`put@${start}<-`, `put@${start + 1}<1`, `delete@${start + 2}<2`]);
    await remote.compact(start + 1);
    expect(await remote.compactRevision()).toBe(start + 1);
    await expect(remote.get('/w/a', { revision: start })).rejects.toMatchObject({
      compactRevision: start + 1,
    });
    const late = new Collector();
    remote.watch('/w/', { prefix: true, startRevision: start }, late);
    await late.until(() => late.error !== undefined);
    expect(late.error).toBeInstanceOf(CompactedError);
    expect((late.error as CompactedError).compactRevision).toBe(start + 1);
  });

  it('delivers 3,000 concurrent remote writes to a remote watcher in order without gaps', async () => {
    const start = (await remote.currentRevision()) + 1;
    const c = new Collector();
    remote.watch('/burst/', { prefix: true, startRevision: start }, c);
    await Promise.all(Array.from({ length: 3000 }, (_, i) => remote.put(`/burst/${i % 31}`, enc(String(i)))));
    await c.until(() => c.events.length >= 3000);
    expect(c.events.map((e) => e.kv.modRevision)).toEqual(Array.from({ length: 3000 }, (_, i) => start + i));
  });

  it('delivers progress notifications', async () => {
    const c = new Collector();
    const h = remote.watch(
      '/p',
      { progressNotify: true, startRevision: (await remote.currentRevision()) + 1 },
      c,
    );
    // The server registers the watch asynchronously; ask until one arrives.
    const deadline = Date.now() + 5000;
    while (!c.progress.length && Date.now() < deadline) {
      local.requestProgress();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c.progress[0]).toBe(await local.currentRevision());
    h.cancel();
  });

  it('ends watches with StoreClosedError when the client closes, and fails calls to a dead server', async () => {
    const other = new RemoteStore(`127.0.0.1:${server.port}`);
    const c = new Collector();
    other.watch('/x', {}, c);
    await other.close();
    expect(c.error).toBeInstanceOf(StoreClosedError);
    await expect(other.get('/x')).rejects.toBeInstanceOf(StoreClosedError);
    const dead = new RemoteStore('127.0.0.1:1', { timeoutMs: 2000 });
    await expect(dead.get('/x')).rejects.toBeInstanceOf(StoreUnavailableError);
    await dead.close();
  });

  it('moves to the next address of a list after UNAVAILABLE', async () => {
    const multi = new RemoteStore(`127.0.0.1:1, 127.0.0.1:${server.port}`, { timeoutMs: 5000 });
    try {
      await expect(multi.currentRevision()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await multi.currentRevision()).toBe(await local.currentRevision());
    } finally {
      await multi.close();
    }
    expect(() => new RemoteStore(' , ')).toThrow(InvalidArgumentError);
  });
});
