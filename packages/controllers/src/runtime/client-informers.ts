/**
 * Adapts @keelson/client's shared informers (InformerFactory / SharedInformer, the client-go
 * roles) to the controllers' {@link InformerSource} interface: one shared watch and cache per
 * resource for every controller in the process; delete tombstones are unwrapped.
 */
import type { KubeObject } from '@keelson/api';
import { InformerFactory, objectFromDelete, type Clientset, type SharedInformer } from '@keelson/client';
import type { EventHandlers, InformerSource, Lister, SharedInformerLike } from './informer';

class Adapted<T extends KubeObject> implements SharedInformerLike<T> {
  constructor(private readonly inf: SharedInformer<T>) {}
  addEventHandler(h: EventHandlers<T>): void {
    this.inf.addEventHandler({
      onAdd: h.onAdd ? (o) => h.onAdd!(o) : undefined,
      onUpdate: h.onUpdate ? (o, n) => h.onUpdate!(o, n) : undefined,
      onDelete: h.onDelete ? (o) => h.onDelete!(objectFromDelete(o)) : undefined,
    });
  }
  lister(): Lister<T> {
    const l = this.inf.lister();
    return {
      list: (namespace?: string) => (namespace ? l.namespace(namespace).list() : l.list()),
      get: (namespace, name) => l.get(namespace || undefined, name),
    };
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
    this.factory = new InformerFactory(clientset, opts.onError ? { informerOptions: { onError: opts.onError } } : {});
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
