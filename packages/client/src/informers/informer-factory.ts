/**
 * The shared informer factory (client-go `informers.SharedInformerFactory`): hands out one
 * informer per (resource, namespace, label selector, field selector), so every controller in a
 * process shares one watch and one cache per resource.
 */
import type { KubeObject } from '@keelson/api';
import type { Clientset } from '../interfaces';
import type { Clock } from '../clock';
import type { Lister } from './lister';
import { SharedInformer, waitForCacheSync, type SharedInformerOptions } from './shared-informer';

/** Options of {@link InformerFactory}. */
export interface InformerFactoryOptions {
  /** Default namespace of every informer; empty/undefined: all namespaces. */
  namespace?: string;
  /** Default resync period of every informer, ms; 0/undefined: none. */
  resyncMs?: number;
  /** Time source for every informer. */
  clock?: Clock;
  /** Default label/field selectors (client-go WithTweakListOptions). */
  labelSelector?: string;
  fieldSelector?: string;
  /** Passed to every informer (reflector tuning, error reporting). */
  informerOptions?: Pick<SharedInformerOptions, 'reflector' | 'onError' | 'transform'>;
}

/** Per-informer overrides of {@link InformerFactory.informerFor}. */
export interface InformerForOptions {
  apiVersion?: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resyncMs?: number;
}

/** Creates and shares informers; `start()` runs the ones not yet running. */
export class InformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly started = new Set<SharedInformer<KubeObject>>();

  constructor(
    readonly clientset: Clientset,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /**
   * The shared informer for a resource (plural, kind or short name; optional apiVersion),
   * created on first use. Same resource, namespace and selectors → same informer.
   * Throws ClientConfigError for an unknown resource.
   */
  informerFor<T extends KubeObject = KubeObject>(
    resource: string,
    o: InformerForOptions = {},
  ): SharedInformer<T> {
    const client = this.clientset.resource<T>(resource, o.apiVersion);
    const info = client.info;
    const namespace = info.namespaced ? (o.namespace ?? this.opts.namespace ?? '') : '';
    const labelSelector = o.labelSelector ?? this.opts.labelSelector ?? '';
    const fieldSelector = o.fieldSelector ?? this.opts.fieldSelector ?? '';
    const key = JSON.stringify([
      info.group,
      info.version,
      info.resource,
      namespace,
      labelSelector,
      fieldSelector,
    ]);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new SharedInformer<T>(client, {
        ...this.opts.informerOptions,
        namespace: namespace || undefined,
        labelSelector: labelSelector || undefined,
        fieldSelector: fieldSelector || undefined,
        resyncMs: o.resyncMs ?? this.opts.resyncMs,
        clock: this.opts.clock,
      }) as unknown as SharedInformer<KubeObject>;
      this.informers.set(key, inf);
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Shorthand for `informerFor(resource, o).lister()`. */
  lister<T extends KubeObject = KubeObject>(resource: string, o: InformerForOptions = {}): Lister<T> {
    return this.informerFor<T>(resource, o).lister();
  }

  /** Runs every informer created so far that is not running yet (call again after creating more). */
  start(): void {
    for (const inf of this.informers.values()) {
      if (!this.started.has(inf)) {
        this.started.add(inf);
        inf.run();
      }
    }
  }

  /** Resolves true when every started informer has synced, false if one was stopped first. */
  waitForCacheSync(): Promise<boolean> {
    return waitForCacheSync(...this.started);
  }

  /** Stops every informer. */
  shutdown(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}
