/**
 * Adapts @keelson/client's shared informers (InformerFactory / SharedInformer, the client-go
 * roles) to the controllers' {@link InformerSource} interface: one shared watch and cache per
 * resource for every controller in the process; delete tombstones are unwrapped.
 */
import type { KubeObject } from '@keelson/api';
import {
  InformerFactory,
  NAMESPACE_INDEX,
  objectFromDelete,
  type Clientset,
  type SharedInformer,
} from '@keelson/client';
import {
  controllerIndexValue,
  type EventHandlers,
  type InformerSource,
  type Lister,
  type SharedInformerLike,
} from './informer';

/** Index of objects by namespace + controller uid (see {@link controllerIndexValue}). */
export const CONTROLLER_INDEX = 'keelson.dev/controller';

class Adapted<T extends KubeObject> implements SharedInformerLike<T> {
  private readonly indexed: boolean;
  constructor(private readonly inf: SharedInformer<T>) {
    let ok = true;
    try {
      inf.addIndexer(CONTROLLER_INDEX, (o) => [controllerIndexValue(o)]);
    } catch {
      ok = false;
    }
    this.indexed = ok;
  }
  addEventHandler(h: EventHandlers<T>): void {
    this.inf.addEventHandler({
      onAdd: h.onAdd ? (o) => h.onAdd!(o) : undefined,
      onUpdate: h.onUpdate ? (o, n) => h.onUpdate!(o, n) : undefined,
      onDelete: h.onDelete ? (o) => h.onDelete!(objectFromDelete(o)) : undefined,
    });
  }
  lister(): Lister<T> {
    // The indexer directly: the client's Lister sorts every list, which costs O(n log n) per sync.
    const ix = this.inf.getIndexer();
    const lister: Lister<T> = {
      list: (namespace?: string) => (namespace ? ix.byIndex(NAMESPACE_INDEX, namespace) : ix.list()),
      get: (namespace, name) => ix.get(namespace ? `${namespace}/${name}` : name),
    };
    if (this.indexed) {
      lister.ownedOrOrphans = (namespace, uid) => [
        ...ix.byIndex(CONTROLLER_INDEX, `${namespace}/${uid}`),
        ...ix.byIndex(CONTROLLER_INDEX, `${namespace}/`),
      ];
    }
    return lister;
  }
  hasSynced(): boolean {
    return this.inf.hasSynced();
  }
}

/** An {@link InformerSource} over @keelson/client's {@link InformerFactory}. */
export class FactoryInformerSource implements InformerSource {
  readonly factory: InformerFactory;
  private readonly adapted = new Map<string, Adapted<KubeObject>>();
  private started = false;

  constructor(clientset: Clientset, opts: { onError?: (e: unknown) => void } = {}) {
    this.factory = new InformerFactory(
      clientset,
      opts.onError ? { informerOptions: { onError: opts.onError } } : {},
    );
  }

  informer<T extends KubeObject>(resource: string): SharedInformerLike<T> {
    let a = this.adapted.get(resource);
    if (!a) {
      a = new Adapted(this.factory.informerFor<KubeObject>(resource));
      this.adapted.set(resource, a);
      if (this.started) this.factory.start();
    }
    return a as unknown as SharedInformerLike<T>;
  }
  start(): void {
    this.started = true;
    this.factory.start();
  }
  async waitForSync(): Promise<void> {
    await this.factory.waitForCacheSync();
  }
  stop(): void {
    this.factory.shutdown();
  }
}
