/**
 * The informer roles the controllers consume (client-go tools/cache: SharedInformer, Lister),
 * as small interfaces. At run time they are @keelson/client's shared informers (adapted by
 * FactoryInformerSource in client-informers.ts); unit tests use the in-memory
 * {@link StaticInformer}, which sets the cache and fires handlers synchronously.
 */
import type { KubeObject } from '@keelson/api';
import { keyOf } from '../util/objects';

/** Callbacks of an informer; each receives the cached object (never mutate it). */
export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  /** Called for every MODIFIED event and every resync relist. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last known state. */
  onDelete?(obj: T): void;
}

/** Read access to an informer's cache (client-go Lister). */
export interface Lister<T extends KubeObject> {
  /** Every cached object, or those in `namespace`. */
  list(namespace?: string): T[];
  /** The cached object, or undefined. Cluster-scoped objects use namespace "" or undefined. */
  get(namespace: string | undefined, name: string): T | undefined;
  /**
   * Objects in `namespace` whose controller ownerReference has `uid`, plus those with no
   * controller (the candidates a controller claims). Optional: {@link ownedOrOrphans} falls
   * back to filtering `list(namespace)`.
   */
  ownedOrOrphans?(namespace: string, uid: string): T[];
}

/** The index value of an object for {@link Lister.ownedOrOrphans}: "namespace/controller-uid" ("namespace/" when none). */
export function controllerIndexValue(o: KubeObject): string {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller);
  return `${o.metadata.namespace ?? ''}/${ref?.uid ?? ''}`;
}

/** Objects a controller with `uid` may claim in `namespace`: its own and orphans. */
export function ownedOrOrphans<T extends KubeObject>(l: Lister<T>, namespace: string, uid: string): T[] {
  if (l.ownedOrOrphans) return l.ownedOrOrphans(namespace, uid);
  return l.list(namespace).filter((o) => {
    const v = controllerIndexValue(o);
    return v === `${namespace}/${uid}` || v === `${namespace}/`;
  });
}

/** A shared informer for one resource. */
export interface SharedInformerLike<T extends KubeObject> {
  addEventHandler(h: EventHandlers<T>): void;
  lister(): Lister<T>;
  hasSynced(): boolean;
}

/** Hands out one shared informer per resource (client-go SharedInformerFactory). */
export interface InformerSource {
  informer<T extends KubeObject>(resource: string): SharedInformerLike<T>;
  /** Starts every informer created so far (and later ones on creation). */
  start(): void;
  /** Resolves when every started informer has listed once. */
  waitForSync(): Promise<void>;
  stop(): void;
}

/** An in-memory cache keyed by "namespace/name". */
export class CacheStore<T extends KubeObject> implements Lister<T> {
  readonly items = new Map<string, T>();
  list(namespace?: string): T[] {
    const out: T[] = [];
    for (const o of this.items.values()) if (!namespace || o.metadata.namespace === namespace) out.push(o);
    return out;
  }
  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }
}

/**
 * An informer whose contents are set by hand: `add`/`update`/`remove` change the cache and call
 * the handlers synchronously. Used by unit tests, and by anything that already has the objects.
 */
export class StaticInformer<T extends KubeObject> implements SharedInformerLike<T> {
  readonly store = new CacheStore<T>();
  private handlers: EventHandlers<T>[] = [];
  constructor(objs: T[] = []) {
    for (const o of objs) this.store.items.set(keyOf(o), o);
  }
  addEventHandler(h: EventHandlers<T>): void {
    this.handlers.push(h);
    for (const o of this.store.items.values()) h.onAdd?.(o);
  }
  lister(): Lister<T> {
    return this.store;
  }
  hasSynced(): boolean {
    return true;
  }
  /** Adds or replaces, firing onAdd or onUpdate. */
  add(obj: T): void {
    const k = keyOf(obj);
    const old = this.store.items.get(k);
    this.store.items.set(k, obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }
  /** Removes, firing onDelete. */
  remove(obj: T): void {
    const k = keyOf(obj);
    const old = this.store.items.get(k) ?? obj;
    this.store.items.delete(k);
    for (const h of this.handlers) h.onDelete?.(old);
  }
}

/** An {@link InformerSource} of {@link StaticInformer}s (unit tests). */
export class StaticInformerSource implements InformerSource {
  readonly informers = new Map<string, StaticInformer<KubeObject>>();
  informer<T extends KubeObject>(resource: string): StaticInformer<T> {
    let inf = this.informers.get(resource);
    if (!inf) this.informers.set(resource, (inf = new StaticInformer()));
    return inf as unknown as StaticInformer<T>;
  }
  start(): void {}
  async waitForSync(): Promise<void> {}
  stop(): void {}
}
