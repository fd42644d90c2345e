import type { KubeObject } from '@keelson/api';
import { ApiError } from './errors';
import { GenericRegistry } from './registry/generic-registry';
import type { StorageWatchCallbacks } from './storage/interfaces';
import { KvStorage } from './storage/kv-storage';
import { MemoryKV } from './storage/memory-kv';
import { WatchCache, type CacheSink } from './watch-cache';

const enc = (name: string, extra: object = {}) =>
  Buffer.from(
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, ...extra }),
  );
const flush = () => new Promise((r) => setTimeout(r, 5));

/** Storage whose store watches can be failed from the test. */
class FlakyStorage extends KvStorage {
  watches: StorageWatchCallbacks[] = [];
  storeWatches = 0;
  override watch(prefix: string, after: number, cb: StorageWatchCallbacks): () => void {
    this.storeWatches++;
    this.watches.push(cb);
    return super.watch(prefix, after, cb);
  }
}

function sink() {
  const events: Array<[string, string | undefined]> = [];
  const s: CacheSink & { ended: boolean | Error } = {
    ended: false,
    event: (type, obj: KubeObject) => events.push([type, obj.metadata.name]),
    end: (err) => (s.ended = err ?? true),
  };
  return { events, s };
}

const opts = (prefix: string, extra: object = {}) => ({
  prefix,
  initialEvents: false,
  filter: () => true,
  allowBookmarks: true,
  bookmark: (rv: string) => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: rv } }),
  ...extra,
});

it('serves many watchers from one store watch and replays history from a revision', async () => {
  const storage = new FlakyStorage(new MemoryKV());
  const cache = new WatchCache(storage, {
    decode: GenericRegistry.decode,
    historySize: 100,
    bookmarkIntervalMs: 1e9,
  });
  await cache.start();
  const start = cache.revision;
  await storage.create('/registry/configmaps/ns/a', enc('a'));
  await storage.create('/registry/configmaps/other/b', enc('b'));
  await flush();
  const watchers = Array.from({ length: 50 }, () => sink());
  for (const w of watchers) cache.watch(opts('/registry/configmaps/ns/', { afterRevision: start }), w.s);
  expect(storage.storeWatches).toBe(1);
  for (const w of watchers) expect(w.events).toEqual([['ADDED', 'a']]);
  await storage.delete('/registry/configmaps/ns/a');
  await flush();
  for (const w of watchers)
    expect(w.events).toEqual([
      ['ADDED', 'a'],
      ['DELETED', 'a'],
    ]);
  cache.bookmarkNow();
  expect(watchers[0].events[2]).toEqual(['BOOKMARK', undefined]);
  cache.stop();
});

it('answers 410 below the history window', async () => {
  const storage = new KvStorage(new MemoryKV());
  const cache = new WatchCache(storage, {
    decode: GenericRegistry.decode,
    historySize: 3,
    bookmarkIntervalMs: 1e9,
  });
  await cache.start();
  const start = cache.revision;
  for (let i = 0; i < 6; i++) await storage.create(`/registry/configmaps/ns/c${i}`, enc(`c${i}`));
  await flush();
  expect(() => cache.watch(opts('/registry/configmaps/', { afterRevision: start }), sink().s)).toThrow(
    ApiError,
  );
  const ok = sink();
  cache.watch(opts('/registry/configmaps/', { afterRevision: cache.oldestRevision }), ok.s);
  expect(ok.events.map((e) => e[1])).toEqual(['c3', 'c4', 'c5']);
  cache.stop();
});

it('ends its watchers and reloads when the store watch fails', async () => {
  const storage = new FlakyStorage(new MemoryKV());
  const cache = new WatchCache(storage, { decode: GenericRegistry.decode, bookmarkIntervalMs: 1e9 });
  await cache.start();
  const w = sink();
  cache.watch(opts('/registry/configmaps/'), w.s);
  await storage.create('/registry/configmaps/ns/x', enc('x'));
  storage.watches[0].onError(new Error('connection lost'));
  expect(w.s.ended).toBeInstanceOf(Error);
  expect(cache.watcherCount).toBe(0);
  await new Promise((r) => setTimeout(r, 700));
  expect(storage.storeWatches).toBe(2);
  expect(cache.state.has('/registry/configmaps/ns/x')).toBe(true);
  const again = sink();
  cache.watch(opts('/registry/configmaps/', { initialEvents: true }), again.s);
  expect(again.events).toEqual([['ADDED', 'x']]);
  cache.stop();
});
