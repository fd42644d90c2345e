/**
 * Listers read an informer's cache (client-go generated listers, e.g. PodLister): no API calls.
 * Returned objects are the cache's own: treat them as read-only (copy before changing).
 */
import type { KubeObject, LabelSelector } from '@keelson/api';
import { labelSelectorFromStructured } from '@keelson/api';
import { compileLabelSelector } from '../selectors';
import { NAMESPACE_INDEX, type Indexer } from './indexer';

/** A label selector as a string ("app=web"), a structured metav1.LabelSelector, or a parsed matcher. */
export type SelectorLike = string | LabelSelector | { matches(labels: Record<string, string>): boolean };

function toMatcher(sel: SelectorLike | undefined): (labels: Record<string, string>) => boolean {
  if (sel === undefined) return () => true;
  if (typeof sel === 'string') {
    const s = compileLabelSelector(sel);
    return (l) => s.matches(l);
  }
  if (typeof (sel as { matches?: unknown }).matches === 'function') {
    const m = sel as { matches(labels: Record<string, string>): boolean };
    return (l) => m.matches(l);
  }
  const s = labelSelectorFromStructured(sel as LabelSelector);
  return (l) => s.matches(l);
}

/** Reads objects of one resource from a cache. */
export class Lister<T extends KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  /** All cached objects matching the label selector (all when omitted), sorted by namespace/name. */
  list(selector?: SelectorLike): T[] {
    const m = toMatcher(selector);
    return sortByKey(this.indexer.list().filter((o) => m(o.metadata.labels ?? {})));
  }

  /** The cached object, or undefined when absent. `namespace` is ignored (pass undefined/"") for cluster-scoped objects. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Objects filed under `key` in the named index (e.g. NAMESPACE_INDEX, or one added with addIndexer). */
  byIndex(indexName: string, key: string): T[] {
    return sortByKey(this.indexer.byIndex(indexName, key));
  }

  /** A view of one namespace. */
  namespace(namespace: string): NamespaceLister<T> {
    return new NamespaceLister(this.indexer, namespace);
  }
}

/** A lister restricted to one namespace (client-go PodNamespaceLister). */
export class NamespaceLister<T extends KubeObject> {
  constructor(
    private readonly indexer: Indexer<T>,
    readonly ns: string,
  ) {}

  /** Objects of this namespace matching the label selector, sorted by name. */
  list(selector?: SelectorLike): T[] {
    const m = toMatcher(selector);
    return sortByKey(
      this.indexer.byIndex(NAMESPACE_INDEX, this.ns).filter((o) => m(o.metadata.labels ?? {})),
    );
  }

  /** The cached object of this namespace, or undefined. */
  get(name: string): T | undefined {
    return this.indexer.get(`${this.ns}/${name}`);
  }
}

function sortByKey<T extends KubeObject>(items: T[]): T[] {
  const k = (o: T) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  return items.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}
