import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore } from './mvcc-store';
import { CompactedError, InvalidRangeError, StoreClosedError } from './errors';
import { Collector } from './testing/collector';
import { WatchHub } from './watch-hub';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (u: Uint8Array) => new TextDecoder().decode(u);

/** Asserts events are exactly the revisions `from..to` (one event per revision) in order. */
function expectContiguous(revs: number[], from: number, to: number): void {
  expect(revs.length).toBe(to - from + 1);
  for (let i = 0; i < revs.length; i++) {
    if (revs[i] !== from + i) throw new Error(`event ${i}: revision ${revs[i]}, expected ${from + i}`);
  }
}

describe('MvccStore watch', () => {
  let dir: string;
  let store: MvccStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keelson-watch-spec-'));
    store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers puts and deletes under a prefix in revision order', async () => {
    const c = new Collector();
    store.watch('/registry/pods/', { prefix: true }, c);
    await store.put('/registry/pods/a', enc('1'));
    await store.put('/registry/svc/x', enc('ignored'));
    await store.put('/registry/pods/a', enc('2'));
    await store.delete('/registry/pods/a');
    await c.until(() => c.events.length === 3);
    expect(c.events.map((e) => [e.type, e.kv.key, e.kv.modRevision, dec(e.kv.value)])).toEqual([
      ['put', '/registry/pods/a', 2, '1'],
      ['put', '/registry/pods/a', 4, '2'],
      ['delete', '/registry/pods/a', 5, ''],
    ]);
    expect(c.events[2].kv).toMatchObject({ createRevision: 0, version: 0 });
    expect(c.events.every((e) => e.prevKv === undefined)).toBe(true);
  });

  it('keeps the events of one txn together at one revision, with prevKv when asked', async () => {
    await store.put('t/a', enc('old'));
    const c = new Collector();
    store.watch('t/', { prefix: true, prevKv: true }, c);
    await store.txn(
      [],
      [
        { type: 'put', key: 't/a', value: enc('new') },
        { type: 'put', key: 't/b', value: enc('b') },
      ],
      [],
    );
    await c.until(() => c.events.length === 2);
    expect(c.batches).toHaveLength(1);
    expect(c.events.map((e) => e.kv.modRevision)).toEqual([3, 3]);
    expect(dec(c.events[0].prevKv!.value)).toBe('old');
    expect(c.events[1].prevKv).toBeUndefined();
  });

  it('replays history from a past revision, then continues live, with prevKv', async () => {
    await store.put('h/a', enc('1')); // 2
    await store.put('h/a', enc('2')); // 3
    await store.delete('h/a'); // 4
    await store.put('h/b', enc('3')); // 5
    const c = new Collector();
    store.watch('h/', { prefix: true, startRevision: 3, prevKv: true }, c);
    await store.put('h/b', enc('4')); // 6
    await c.until(() => c.events.length === 4);
    expect(
      c.events.map(
        (e) => `${e.type}:${e.kv.key}@${e.kv.modRevision}<${e.prevKv ? dec(e.prevKv.value) : '-'}`,
      ),
    ).toEqual(['put:h/a@3<1', 'delete:h/a@4<2', 'put:h/b@5<-', 'put:h/b@6<3']);
  });

  it('delivers a burst of 5,000 concurrent writes with no gap and no duplicate, live and catching up', async () => {
    const live = new Collector();
    store.watch('burst/', { prefix: true }, live);
    const n = 5000;
    const writes: Array<Promise<unknown>> = [];
    let late: Collector | undefined;
    for (let i = 0; i < n; i++) {
      writes.push(store.put(`burst/${i % 97}`, enc(String(i))));
      if (i === 2500) {
        // A watcher from the very beginning, registered in the middle of the burst: it reads
        // history from disk while new groups commit, then joins the live dispatcher.
        await writes[1000];
        late = new Collector();
        store.watch('burst/', { prefix: true, startRevision: 2 }, late);
      }
    }
    await Promise.all(writes);
    await live.until(() => live.events.length >= n);
    await late!.until(() => late!.events.length >= n);
    expectContiguous(
      live.events.map((e) => e.kv.modRevision),
      2,
      n + 1,
    );
    expectContiguous(
      late!.events.map((e) => e.kv.modRevision),
      2,
      n + 1,
    );
    // Values match the writes, so events were not reordered across keys either.
    expect(live.events.map((e) => dec(e.kv.value))).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(late!.error).toBeUndefined();
  });

  it('watches a single key and [key, end)', async () => {
    const one = new Collector();
    const span = new Collector();
    store.watch('b', {}, one);
    store.watch('b', { end: 'd' }, span);
    for (const k of ['a', 'b', 'bb', 'c', 'd']) await store.put(k, enc(k));
    await span.until(() => span.events.length === 3);
    expect(one.events.map((e) => e.kv.key)).toEqual(['b']);
    expect(span.events.map((e) => e.kv.key)).toEqual(['b', 'bb', 'c']);
  });

  it('starts at a future revision without delivering earlier events', async () => {
    const c = new Collector();
    store.watch('f', { startRevision: 4 }, c);
    await store.put('f', enc('2'));
    await store.put('f', enc('3'));
    await store.put('f', enc('4'));
    await c.until(() => c.events.length === 1);
    expect(c.events[0].kv.modRevision).toBe(4);
  });

  it('fails a watch from a compacted revision with CompactedError carrying the compact revision', async () => {
    for (let i = 0; i < 5; i++) await store.put('c', enc(String(i)));
    await store.compact(4);
    const c = new Collector();
    store.watch('c', { startRevision: 3 }, c);
    await c.until(() => c.error !== undefined);
    expect(c.error).toBeInstanceOf(CompactedError);
    expect((c.error as CompactedError).compactRevision).toBe(4);
    expect(c.events).toEqual([]);
    // From the compact revision itself the history is still complete.
    const ok = new Collector();
    store.watch('c', { startRevision: 4 }, ok);
    await ok.until(() => ok.events.length === 3);
    expect(ok.events.map((e) => e.kv.modRevision)).toEqual([4, 5, 6]);
    expect(ok.error).toBeUndefined();
  });

  it('fails a watch that is still catching up when a compaction overtakes it', async () => {
    for (let i = 0; i < 50; i++) await store.put('o', enc(String(i)));
    const c = new Collector();
    store.watch('o', { startRevision: 2 }, c);
    await store.compact(40);
    await c.until(() => c.error !== undefined);
    expect(c.error).toBeInstanceOf(CompactedError);
    expect((c.error as CompactedError).compactRevision).toBe(40);
    // Whatever was delivered before the error was a gap-free prefix from revision 2.
    expect(c.events.map((e) => e.kv.modRevision)).toEqual(c.events.map((_, i) => i + 2));
  });

  it('reports bad input through onError', async () => {
    const c = new Collector();
    store.watch('b', { end: 'a' }, c);
    await c.until(() => c.error !== undefined);
    expect(c.error).toBeInstanceOf(InvalidRangeError);
  });

  it('sends progress notifications on request with the current revision', async () => {
    const c = new Collector();
    store.watch('p', { progressNotify: true }, c);
    await store.put('other', enc('x'));
    store.requestProgress();
    expect(c.progress).toEqual([2]);
  });

  it('stops delivering after cancel and ends watches on close', async () => {
    const cancelled = new Collector();
    const open = new Collector();
    const h = store.watch('k', {}, cancelled);
    store.watch('k', {}, open);
    h.cancel();
    h.cancel();
    await store.put('k', enc('1'));
    await open.until(() => open.events.length === 1);
    expect(cancelled.events).toEqual([]);
    expect(store.watchCount).toBe(1);
    await store.close();
    expect(open.error).toBeInstanceOf(StoreClosedError);
    store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
  });

  it('ends a watch whose callback throws, without disturbing others', async () => {
    const bad = new Collector();
    bad.onEvents = () => {
      throw new Error('consumer bug');
    };
    const good = new Collector();
    store.watch('k', {}, bad);
    store.watch('k', {}, good);
    await store.put('k', enc('1'));
    await store.put('k', enc('2'));
    await good.until(() => good.events.length === 2);
    expect(bad.error?.message).toBe('consumer bug');
    expect(store.watchCount).toBe(1);
  });
});

describe('WatchHub periodic progress', () => {
  it('notifies only idle progressNotify watchers', () => {
    const hub = new WatchHub();
    const idle = new Collector();
    const busy = new Collector();
    const silent = new Collector();
    const span = { start: 'k', end: undefined };
    hub.add({ span, prevKv: false, progressNotify: true, cb: idle, nextRev: 2, synced: true });
    hub.add({
      span: { start: 'x', end: undefined },
      prevKv: false,
      progressNotify: true,
      cb: busy,
      nextRev: 2,
      synced: true,
    });
    hub.add({ span, prevKv: false, progressNotify: false, cb: silent, nextRev: 2, synced: true });
    hub.dispatch(
      [{ type: 'put', kv: { key: 'x', value: enc('1'), createRevision: 2, modRevision: 2, version: 1 } }],
      2,
    );
    hub.progress(2, true);
    expect(idle.progress).toEqual([2]);
    expect(busy.progress).toEqual([]);
    expect(silent.progress).toEqual([]);
    hub.progress(2, true);
    expect(busy.progress).toEqual([2]);
  });
});
