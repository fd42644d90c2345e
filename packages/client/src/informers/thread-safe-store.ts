/**
 * The informer's cache (client-go `tools/cache/thread_safe_store.go`): objects by key plus the
 * indexes of {@link Indexers}. JavaScript runs one callback at a time, so "thread safe" here means
 * every operation leaves objects and indexes consistent before it returns.
 * Stored objects are shared with readers: callers must treat them as read-only.
 */
import type { Indexer, Indexers } from './indexer';

export class ThreadSafeStore<T> implements Indexer<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers: Indexers<T> = {};
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Indexers<T> = {}) {
    this.addIndexers(indexers);
  }

  /** Inserts or replaces the object under `key`, updating every index. */
  update(key: string, obj: T): void {
    const old = this.items.get(key);
    this.items.set(key, obj);
    this.reindex(key, old, obj);
  }

  /** Same as {@link update}. */
  add(key: string, obj: T): void {
    this.update(key, obj);
  }

  /** Removes the object under `key` (no-op if absent). */
  delete(key: string): void {
    const old = this.items.get(key);
    if (old === undefined) return;
    this.items.delete(key);
    this.reindex(key, old, undefined);
  }

  /** Replaces the whole content (the reflector's relist) and rebuilds the indexes. */
  replace(items: Map<string, T>): void {
    this.items.clear();
    for (const [k, v] of items) this.items.set(k, v);
    for (const name of Object.keys(this.indexers)) this.indices.set(name, new Map());
    for (const [k, v] of this.items) this.reindex(k, undefined, v);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }
  list(): T[] {
    return [...this.items.values()];
  }
  listKeys(): string[] {
    return [...this.items.keys()];
  }
  size(): number {
    return this.items.size;
  }

  private indexOf(name: string): Map<string, Set<string>> {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`Index with name ${name} does not exist`);
    return idx;
  }

  indexKeys(indexName: string, indexedValue: string): string[] {
    return [...(this.indexOf(indexName).get(indexedValue) ?? [])];
  }

  byIndex(indexName: string, indexedValue: string): T[] {
    return this.indexKeys(indexName, indexedValue).map((k) => this.items.get(k)!);
  }

  index(indexName: string, obj: T): T[] {
    const fn = this.indexers[indexName];
    if (!fn) throw new Error(`Index with name ${indexName} does not exist`);
    const keys = new Set<string>();
    for (const v of fn(obj)) for (const k of this.indexOf(indexName).get(v) ?? []) keys.add(k);
    return [...keys].map((k) => this.items.get(k)!);
  }

  listIndexFuncValues(indexName: string): string[] {
    return [...this.indexOf(indexName).keys()];
  }

  addIndexers(indexers: Indexers<T>): void {
    for (const name of Object.keys(indexers)) {
      if (this.indexers[name]) throw new Error(`indexer conflict: ${name}`);
    }
    for (const [name, fn] of Object.entries(indexers)) {
      this.indexers[name] = fn;
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [k, v] of this.items) for (const val of fn(v)) this.file(idx, val, k);
    }
  }

  private file(idx: Map<string, Set<string>>, value: string, key: string): void {
    let set = idx.get(value);
    if (!set) idx.set(value, (set = new Set()));
    set.add(key);
  }

  private reindex(key: string, oldObj: T | undefined, newObj: T | undefined): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name)!;
      const oldVals = oldObj === undefined ? [] : fn(oldObj);
      const newVals = newObj === undefined ? [] : fn(newObj);
      for (const v of oldVals) {
        if (newVals.includes(v)) continue;
        const set = idx.get(v);
        set?.delete(key);
        if (set && set.size === 0) idx.delete(v);
      }
      for (const v of newVals) this.file(idx, v, key);
    }
  }
}
