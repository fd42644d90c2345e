/**
 * The watch cache: one storage watch on `/registry/` feeding every API watcher, so N watchers
 * cost the store one watch (k8s.io/apiserver/pkg/storage/cacher). It keeps the current state of
 * every object (decoded once), a bounded window of recent events for watches that resume from a
 * resourceVersion, and sends bookmarks. A watch from a revision older than the window gets
 * 410 Gone (reason Expired), as upstream's "too old resource version".
 */
import type { KubeObject } from '@keelson/api';
import { gone, timeout } from './errors';
import type { Storage, StorageEvent } from './storage/interfaces';
import { REGISTRY_ROOT } from './keys';

/** One change as the cache records it. */
export interface CacheEvent {
  type: 'put' | 'delete';
  key: string;
  /** The object after the change (put) or as it was when deleted (delete), resourceVersion set. */
  obj: KubeObject;
  /** The object before the change (undefined for a create). */
  prev?: KubeObject;
  revision: number;
  /** JSON of `obj`, computed once on first use. */
  json?: string;
}

/** What a cache watcher receives. */
export interface CacheSink {
  /** An event to send. `json` is the serialized object when the object is unchanged from `ev.obj`. */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK', obj: KubeObject, json?: string): void;
  /** The watch ended (cache reset or store failure); the client should re-watch. */
  end(err?: Error): void;
}

/** Options of one cache watch. */
export interface CacheWatchOptions {
  /** Key prefix of the collection watched ("/registry/pods/ns/"). */
  prefix: string;
  /** Deliver events with revision > this; undefined = start now with synthetic ADDED events. */
  afterRevision?: number;
  /** Send the current state as ADDED events first (RV unset/"0", or sendInitialEvents). */
  initialEvents: boolean;
  /** Selector: true when the object belongs to the watch. */
  filter: (obj: KubeObject) => boolean;
  allowBookmarks: boolean;
  /** Send a BOOKMARK with annotation k8s.io/initial-events-end after the initial events. */
  initialEventsEndBookmark?: boolean;
  /** Bookmark object factory (kind/apiVersion of the resource). */
  bookmark: (rv: string, annotations?: Record<string, string>) => KubeObject;
}

interface Watcher {
  opts: CacheWatchOptions;
  sink: CacheSink;
  /** Only events with a revision above this are delivered. */
  minRevision: number;
  /** Newest revision sent (events or bookmarks). */
  lastRevision: number;
  closed: boolean;
}

/** Options of the cache. */
export interface WatchCacheOptions {
  /** Events kept for resuming watches (default 10,000). */
  historySize?: number;
  /** Bookmark period in ms (default 10,000; upstream sends roughly one a minute). */
  bookmarkIntervalMs?: number;
  /** Decodes a stored value into an object with resourceVersion set. */
  decode: (value: Uint8Array, modRevision: number) => KubeObject;
  /** Called once per applied event after watchers were served (allocators, namespace index). */
  onEvent?: (ev: CacheEvent) => void;
}

/** One store watch fanned out to many API watchers. */
export class WatchCache {
  /** key → current object */
  readonly state = new Map<string, KubeObject>();
  private history: CacheEvent[] = [];
  private historyHead = 0;
  private windowStart = 0;
  private rev = 0;
  private readonly watchers = new Set<Watcher>();
  private cancelStoreWatch?: () => void;
  private bookmarkTimer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  private readyWaiters: Array<() => void> = [];
  private readonly historySize: number;
  private readonly jsonCache = new WeakMap<KubeObject, string>();

  constructor(
    private readonly storage: Storage,
    private readonly opts: WatchCacheOptions,
  ) {
    this.historySize = opts.historySize ?? 10000;
  }

  /** The newest revision the cache has seen. */
  get revision(): number {
    return this.rev;
  }

  /** Oldest revision a watch may resume from. */
  get oldestRevision(): number {
    return this.windowStart;
  }

  /** Number of live API watchers. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Loads the state and starts the store watch. */
  async start(): Promise<void> {
    await this.load();
    const interval = this.opts.bookmarkIntervalMs ?? 10000;
    this.bookmarkTimer = setInterval(() => this.sendBookmarks(), interval);
    this.bookmarkTimer.unref();
  }

  private async load(): Promise<void> {
    const state = new Map<string, KubeObject>();
    let revision = 0;
    let startKey: string | undefined;
    for (;;) {
      const page = await this.storage.list(REGISTRY_ROOT, {
        startKey,
        limit: 1000,
        revision: revision || undefined,
      });
      revision = page.revision;
      for (const it of page.items) {
        try {
          state.set(it.key, this.opts.decode(it.value, it.modRevision));
        } catch {
          /* undecodable values are skipped */
        }
      }
      if (!page.more || !page.items.length) break;
      startKey = page.items[page.items.length - 1].key + '\0';
    }
    this.state.clear();
    for (const [k, v] of state) this.state.set(k, v);
    this.history = [];
    this.historyHead = 0;
    this.rev = revision;
    this.windowStart = revision;
    this.cancelStoreWatch = this.storage.watch(REGISTRY_ROOT, revision, {
      onEvents: (events, rev) => this.apply(events, rev),
      onProgress: (rev) => {
        if (rev > this.rev) this.rev = rev;
      },
      onError: (err) => this.restart(err),
    });
    const w = this.readyWaiters;
    this.readyWaiters = [];
    for (const f of w) f();
  }

  private restart(err: Error): void {
    this.cancelStoreWatch?.();
    this.cancelStoreWatch = undefined;
    for (const w of this.watchers) {
      w.closed = true;
      w.sink.end(err);
    }
    this.watchers.clear();
    if (this.stopped) return;
    this.restartTimer = setTimeout(() => {
      this.load().catch((e) => this.restart(e as Error));
    }, 500);
    this.restartTimer.unref();
  }

  /** Resolves once the cache has seen revision `rev` (or rejects after `timeoutMs`). */
  async waitForRevision(rev: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.rev < rev) {
      if (Date.now() > deadline) throw timeout(`Too large resource version: ${rev}, current: ${this.rev}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private apply(events: StorageEvent[], revision: number): void {
    for (const e of events) {
      const prev = this.state.get(e.key);
      let ev: CacheEvent;
      if (e.type === 'put') {
        let obj: KubeObject;
        try {
          obj = this.opts.decode(e.value, e.modRevision);
        } catch {
          continue;
        }
        this.state.set(e.key, obj);
        ev = { type: 'put', key: e.key, obj, prev, revision: e.modRevision };
      } else {
        let old = prev;
        if (!old && e.prevValue && e.prevValue.length) {
          try {
            old = this.opts.decode(e.prevValue, e.modRevision);
          } catch {
            old = undefined;
          }
        }
        this.state.delete(e.key);
        if (!old) continue;
        const obj = { ...old, metadata: { ...old.metadata, resourceVersion: String(e.modRevision) } };
        ev = { type: 'delete', key: e.key, obj, prev: old, revision: e.modRevision };
      }
      if (ev.revision > this.rev) this.rev = ev.revision;
      this.record(ev);
      for (const w of this.watchers) this.dispatch(w, ev);
      this.opts.onEvent?.(ev);
    }
    if (revision > this.rev) this.rev = revision;
  }

  private record(ev: CacheEvent): void {
    this.history.push(ev);
    if (this.history.length - this.historyHead > this.historySize) {
      const dropped = this.history[this.historyHead];
      this.history[this.historyHead] = undefined as unknown as CacheEvent;
      this.historyHead++;
      this.windowStart = Math.max(this.windowStart, dropped.revision);
      if (this.historyHead > 4096 && this.historyHead * 2 > this.history.length) {
        this.history = this.history.slice(this.historyHead);
        this.historyHead = 0;
      }
    }
  }

  private dispatch(w: Watcher, ev: CacheEvent): void {
    if (w.closed || ev.revision <= w.minRevision || !ev.key.startsWith(w.opts.prefix)) return;
    if (ev.revision > w.lastRevision) w.lastRevision = ev.revision;
    const f = w.opts.filter;
    if (ev.type === 'delete') {
      if (f(ev.prev ?? ev.obj)) this.send(w, 'DELETED', ev.obj, ev);
      return;
    }
    const cur = f(ev.obj);
    const old = ev.prev ? f(ev.prev) : false;
    if (cur && old) this.send(w, 'MODIFIED', ev.obj, ev);
    else if (cur) this.send(w, 'ADDED', ev.obj, ev);
    else if (old && ev.prev)
      w.sink.event('DELETED', {
        ...ev.prev,
        metadata: { ...ev.prev.metadata, resourceVersion: String(ev.revision) },
      });
  }

  /** The JSON text of a cached object, serialized once (objects in the cache are immutable). */
  jsonOf(obj: KubeObject): string {
    let j = this.jsonCache.get(obj);
    if (j === undefined) {
      j = JSON.stringify(obj);
      this.jsonCache.set(obj, j);
    }
    return j;
  }

  private send(w: Watcher, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, ev: CacheEvent): void {
    if (ev.json === undefined) ev.json = this.jsonOf(obj);
    try {
      w.sink.event(type, obj, ev.json);
    } catch (err) {
      this.close(w, err as Error);
    }
  }

  private close(w: Watcher, err?: Error): void {
    if (w.closed) return;
    w.closed = true;
    this.watchers.delete(w);
    w.sink.end(err);
  }

  private sendBookmarks(): void {
    for (const w of this.watchers) {
      if (!w.opts.allowBookmarks || w.closed) continue;
      if (this.rev > w.lastRevision) w.lastRevision = this.rev;
      try {
        w.sink.event('BOOKMARK', w.opts.bookmark(String(w.lastRevision)));
      } catch (err) {
        this.close(w, err as Error);
      }
    }
  }

  /** Sends a bookmark to every watcher now (tests and benchmarks). */
  bookmarkNow(): void {
    this.sendBookmarks();
  }

  /**
   * Starts a watch. Throws ApiError 410 (Expired) when `afterRevision` is older than the window.
   * Returns a function that stops the watch (idempotent; `sink.end` is not called by it).
   */
  watch(opts: CacheWatchOptions, sink: CacheSink): () => void {
    const w: Watcher = { opts, sink, minRevision: this.rev, lastRevision: this.rev, closed: false };
    if (opts.afterRevision !== undefined && !opts.initialEvents) {
      if (opts.afterRevision < this.windowStart)
        throw gone(`too old resource version: ${opts.afterRevision} (${this.windowStart})`);
      w.minRevision = opts.afterRevision;
      w.lastRevision = opts.afterRevision;
    }
    if (opts.initialEvents) {
      const items: KubeObject[] = [];
      for (const [k, obj] of this.state) if (k.startsWith(opts.prefix) && opts.filter(obj)) items.push(obj);
      for (const obj of items) sink.event('ADDED', obj, this.jsonOf(obj));
      w.minRevision = this.rev;
      w.lastRevision = this.rev;
      if (opts.initialEventsEndBookmark)
        sink.event('BOOKMARK', opts.bookmark(String(this.rev), { 'k8s.io/initial-events-end': 'true' }));
    } else if (opts.afterRevision !== undefined && opts.afterRevision < this.rev) {
      for (let i = this.historyHead; i < this.history.length; i++) {
        const ev = this.history[i];
        if (ev.revision > opts.afterRevision) this.dispatch(w, ev);
      }
      w.minRevision = this.rev;
      w.lastRevision = Math.max(this.rev, opts.afterRevision);
    }
    this.watchers.add(w);
    return () => {
      w.closed = true;
      this.watchers.delete(w);
    };
  }

  /** Objects currently under `prefix` (from the cache, not the store). */
  snapshot(prefix: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const [k, obj] of this.state) if (k.startsWith(prefix)) out.push(obj);
    return out;
  }

  /** Stops the store watch and ends every watcher. */
  stop(): void {
    this.stopped = true;
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.cancelStoreWatch?.();
    for (const w of this.watchers) {
      w.closed = true;
      w.sink.end();
    }
    this.watchers.clear();
  }
}
