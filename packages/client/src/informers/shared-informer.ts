/**
 * The shared informer (client-go `tools/cache/shared_informer.go`): one reflector and one indexed
 * cache per resource, fanned out to any number of event handlers.
 *
 * Delivery contract:
 * - handlers are called synchronously, in event order, after the cache has been updated, so a
 *   lister read inside a handler already sees the change; handlers should only enqueue keys;
 * - the initial list is delivered as onAdd(obj, true); a relist delivers onUpdate(old, new) for
 *   every object still present (even if unchanged, like client-go's Replaced deltas), onAdd for
 *   new ones and onDelete(DeletedFinalStateUnknown) for ones that vanished while not watched;
 * - a handler added after the informer synced first receives onAdd for every cached object;
 * - resync (per handler or informer-wide period) calls onUpdate(obj, obj) for every cached object;
 * - a throwing handler is reported through `onError` and does not affect the others.
 * Cached objects are shared: treat them as read-only.
 */
import type { KubeObject } from '@keelson/api';
import type { Clientset, ResourceClient } from '../interfaces';
import { realClock, type Clock, type TimerHandle } from '../clock';
import { metaNamespaceKey } from '../resolve';
import { NAMESPACE_INDEX, namespaceIndexFunc, type IndexFunc, type Indexer, type Indexers } from './indexer';
import { Lister } from './lister';
import { Reflector, type ReflectorOptions, type ReflectorStore } from './reflector';
import { ThreadSafeStore } from './thread-safe-store';

/**
 * The last known state of an object deleted while the informer was not watching (seen on a
 * relist) — client-go's cache.DeletedFinalStateUnknown. `obj` may be stale.
 */
export class DeletedFinalStateUnknown<T> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

/** True when `x` is a {@link DeletedFinalStateUnknown} tombstone. */
export function isDeletedFinalStateUnknown<T>(x: unknown): x is DeletedFinalStateUnknown<T> {
  return x instanceof DeletedFinalStateUnknown;
}

/** The object inside a delete notification, unwrapping a tombstone. */
export function objectFromDelete<T>(x: T | DeletedFinalStateUnknown<T>): T {
  return x instanceof DeletedFinalStateUnknown ? x.obj : x;
}

/** Callbacks for cache changes (client-go ResourceEventHandler). All optional. */
export interface ResourceEventHandler<T> {
  /** An object appeared; `isInInitialList` is true for objects of the first list. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** An object changed (or a relist/resync re-delivered it: then old and new may be equal). */
  onUpdate?(oldObj: T, newObj: T): void;
  /** An object went away; a tombstone when the deletion was missed and found on a relist. */
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** What addEventHandler returns. */
export interface EventHandlerRegistration {
  /** Stops delivering to this handler. */
  remove(): void;
  /** True once the handler has received the initial state. */
  hasSynced(): boolean;
}

/** Options of {@link SharedInformer}. */
export interface SharedInformerOptions {
  /** Namespace to watch; empty/undefined: all. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Default resync period for handlers, ms; 0/undefined: none. */
  resyncMs?: number;
  /** Time source (reflector backoff, resync). */
  clock?: Clock;
  /** Extra indexes besides NAMESPACE_INDEX. */
  indexers?: Indexers<KubeObject>;
  /** Reflector tuning (page size, backoff). */
  reflector?: Omit<ReflectorOptions, 'namespace' | 'labelSelector' | 'fieldSelector' | 'clock'>;
  /**
   * Applied to every object before it is cached and delivered (client-go SetTransform), e.g. to
   * drop metadata.managedFields and save memory. Must return an object with the same key.
   */
  transform?(obj: KubeObject): KubeObject;
  /** Receives handler exceptions and list/watch failures; default: console.error for handler exceptions only. */
  onError?(err: unknown, context: string): void;
}

interface Listener<T> {
  handler: ResourceEventHandler<T>;
  resyncMs: number;
  timer?: TimerHandle;
  synced: boolean;
}

/** A shared informer over one resource; see the module comment for the delivery contract. */
export class SharedInformer<T extends KubeObject = KubeObject> implements ReflectorStore<T> {
  private readonly indexer: ThreadSafeStore<T>;
  private readonly reflector: Reflector<T>;
  private readonly listeners = new Set<Listener<T>>();
  private readonly clock: Clock;
  private synced = false;
  private started = false;
  private stoppedFlag = false;
  private readonly syncWaiters: Array<(ok: boolean) => void> = [];

  constructor(
    readonly client: ResourceClient<T>,
    private readonly opts: SharedInformerOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.indexer = new ThreadSafeStore<T>({
      [NAMESPACE_INDEX]: namespaceIndexFunc,
      ...(opts.indexers as Indexers<T>),
    });
    this.reflector = new Reflector<T>(client, this, {
      ...opts.reflector,
      name: opts.reflector?.name ?? client.info.resource,
      namespace: client.info.namespaced ? opts.namespace : undefined,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      clock: this.clock,
      onError: (err, phase) => {
        opts.reflector?.onError?.(err, phase);
        opts.onError?.(err, `${client.info.resource} ${phase}`);
      },
    });
  }

  /**
   * Registers a handler. If the informer has already synced, the handler first gets onAdd for
   * every cached object (synchronously, before this returns). `resyncMs` overrides the
   * informer's default period for this handler.
   */
  addEventHandler(handler: ResourceEventHandler<T>, resyncMs?: number): EventHandlerRegistration {
    const l: Listener<T> = { handler, resyncMs: resyncMs ?? this.opts.resyncMs ?? 0, synced: false };
    this.listeners.add(l);
    if (this.synced) {
      for (const o of this.indexer.list()) this.call(l, 'onAdd', () => handler.onAdd?.(o, true));
      l.synced = true;
      this.scheduleResync(l);
    }
    return {
      remove: () => {
        if (l.timer) this.clock.clearTimeout(l.timer);
        this.listeners.delete(l);
      },
      hasSynced: () => l.synced,
    };
  }

  /** Adds an index (e.g. pods by spec.nodeName); existing objects are indexed at once. Throws if the name is taken. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.indexer.addIndexers({ [name]: fn });
  }

  /** Adds several indexes; see {@link addIndexer}. */
  addIndexers(indexers: Indexers<T>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Starts the list+watch in the background; idempotent. */
  run(): void {
    if (this.started || this.stoppedFlag) return;
    this.started = true;
    this.reflector.run();
  }

  /** Stops watching and resyncing; the cache keeps its last content. Pending waitForCacheSync calls resolve false. */
  stop(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    this.reflector.stop();
    for (const l of this.listeners) if (l.timer) this.clock.clearTimeout(l.timer);
    for (const w of this.syncWaiters.splice(0)) w(false);
  }

  /** True once the first list has been stored and delivered. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** True after stop(). */
  isStopped(): boolean {
    return this.stoppedFlag;
  }

  /** Resolves true once synced, false if stopped first. */
  whenSynced(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stoppedFlag) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** A lister over this informer's cache. */
  lister(): Lister<T> {
    return new Lister<T>(this.indexer);
  }

  /** The indexed cache itself. */
  getIndexer(): Indexer<T> {
    return this.indexer;
  }

  /** The resourceVersion of the last list or event seen. */
  lastSyncResourceVersion(): string {
    return this.reflector.lastSyncResourceVersion();
  }

  /** The reflector's counters (lists, watches, relistsOnGone, failures). */
  get stats(): Reflector<T>['stats'] {
    return this.reflector.stats;
  }

  // ---- ReflectorStore: called by the reflector ----

  /** @internal */
  replace(items: T[], _resourceVersion: string): void {
    const next = new Map<string, T>();
    for (const o of items) {
      const x = this.tf(o);
      next.set(metaNamespaceKey(x), x);
    }
    const old = new Map(this.indexer.listKeys().map((k) => [k, this.indexer.get(k)!]));
    this.indexer.replace(next);
    const initial = !this.synced;
    for (const [k, o] of next) {
      const before = old.get(k);
      if (before) this.notify('onUpdate', (h) => h.onUpdate?.(before, o));
      else this.notify('onAdd', (h) => h.onAdd?.(o, initial));
    }
    for (const [k, o] of old) {
      if (!next.has(k)) {
        const tomb = new DeletedFinalStateUnknown<T>(k, o);
        this.notify('onDelete', (h) => h.onDelete?.(tomb));
      }
    }
    if (!this.synced) {
      this.synced = true;
      for (const l of this.listeners) {
        l.synced = true;
        this.scheduleResync(l);
      }
      for (const w of this.syncWaiters.splice(0)) w(true);
    }
  }

  /** @internal */
  add(obj: T): void {
    this.update(obj);
  }

  /** @internal */
  update(obj: T): void {
    obj = this.tf(obj);
    const key = metaNamespaceKey(obj);
    const before = this.indexer.get(key);
    this.indexer.update(key, obj);
    if (before) this.notify('onUpdate', (h) => h.onUpdate?.(before, obj));
    else this.notify('onAdd', (h) => h.onAdd?.(obj, false));
  }

  /** @internal */
  delete(obj: T): void {
    obj = this.tf(obj);
    const key = metaNamespaceKey(obj);
    this.indexer.delete(key);
    this.notify('onDelete', (h) => h.onDelete?.(obj));
  }

  private tf(obj: T): T {
    return this.opts.transform ? (this.opts.transform(obj) as T) : obj;
  }

  private notify(what: string, fn: (h: ResourceEventHandler<T>) => void): void {
    for (const l of [...this.listeners]) this.call(l, what, () => fn(l.handler));
  }

  private call(_l: Listener<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (this.opts.onError) this.opts.onError(e, `${this.client.info.resource} handler ${what}`);
      else console.error(`informer ${this.client.info.resource}: ${what} handler threw:`, e);
    }
  }

  private scheduleResync(l: Listener<T>): void {
    if (l.resyncMs <= 0 || this.stoppedFlag) return;
    l.timer = this.clock.setTimeout(() => {
      if (!this.listeners.has(l) || this.stoppedFlag) return;
      for (const o of this.indexer.list()) this.call(l, 'onUpdate', () => l.handler.onUpdate?.(o, o));
      this.scheduleResync(l);
    }, l.resyncMs);
  }
}

/**
 * Resolves true when every informer has synced, false as soon as one is stopped before syncing
 * (client-go cache.WaitForCacheSync).
 */
export function waitForCacheSync(
  ...informers: Array<Pick<SharedInformer<KubeObject>, 'whenSynced'>>
): Promise<boolean> {
  return new Promise((resolve) => {
    let left = informers.length;
    if (left === 0) return resolve(true);
    for (const i of informers) {
      void i.whenSynced().then((ok) => {
        if (!ok) resolve(false);
        else if (--left === 0) resolve(true);
      });
    }
  });
}

/** Creates a (not yet running) informer for a resource of a clientset. */
export function newSharedInformer<T extends KubeObject = KubeObject>(
  clientset: Clientset,
  resource: string,
  opts: SharedInformerOptions & { apiVersion?: string } = {},
): SharedInformer<T> {
  return new SharedInformer<T>(clientset.resource<T>(resource, opts.apiVersion), opts);
}
