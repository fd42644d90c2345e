/**
 * {@link Storage} on the store's `KV` contract: embedded MvccStore, RemoteStore (gRPC to a
 * keelson-store) or {@link MemoryKV}. Optimistic concurrency through txn compares on modRevision
 * (etcd3 storage in k8s.io/apiserver/pkg/storage/etcd3/store.go follows the same shape).
 */
import {
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StorageCompactedError,
  StorageFutureRevisionError,
} from '../errors';
import type { KV, KeyValue } from './kv-types';
import { prefixEnd } from './memory-kv';
import type { ListResult, Storage, StorageEvent, StorageWatchCallbacks, StoredValue } from './interfaces';

/** Maps store errors (CompactedError, FutureRevisionError by name) to storage errors. */
export function mapStoreError(err: unknown): Error {
  const e = err as { name?: string; compactRevision?: number; message?: string };
  if (
    e &&
    (e.name === 'CompactedError' ||
      e instanceof StorageCompactedError ||
      typeof e.compactRevision === 'number')
  )
    return new StorageCompactedError(e.compactRevision ?? 0, e.message);
  if (e && (e.name === 'FutureRevisionError' || e instanceof StorageFutureRevisionError))
    return new StorageFutureRevisionError(e.message ?? 'future revision');
  return err instanceof Error ? err : new Error(String(err));
}

function toStored(kv: KeyValue): StoredValue {
  return { key: kv.key, value: kv.value, modRevision: kv.modRevision, createRevision: kv.createRevision };
}

/** Storage over a KV; `close()` closes the KV too when `ownsKv`. */
export class KvStorage implements Storage {
  constructor(
    private readonly kv: KV,
    private readonly ownsKv = true,
  ) {}

  async get(key: string, revision?: number): Promise<StoredValue | undefined> {
    try {
      const kv = await this.kv.get(key, revision ? { revision } : undefined);
      return kv ? toStored(kv) : undefined;
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async list(
    prefix: string,
    opts: { startKey?: string; limit?: number; revision?: number } = {},
  ): Promise<ListResult> {
    const start = opts.startKey ?? prefix;
    try {
      const r = await this.kv.range(start, {
        end: prefixEnd(prefix),
        limit: opts.limit || undefined,
        revision: opts.revision || undefined,
      });
      return {
        items: r.kvs.map(toStored),
        revision: opts.revision || r.revision,
        more: r.more,
        remaining: r.count - r.kvs.length,
      };
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async count(prefix: string): Promise<number> {
    const r = await this.kv.range(prefix, { end: prefixEnd(prefix), countOnly: true });
    return r.count;
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    const r = await this.kv.txn(
      [{ key, target: 'modRevision', result: '=', value: 0 }],
      [{ type: 'put', key, value }],
      [],
    );
    if (!r.succeeded) throw new KeyExistsError(key);
    return r.revision;
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number> {
    const r = await this.kv.txn(
      [{ key, target: 'modRevision', result: '=', value: expectedModRevision }],
      [{ type: 'put', key, value }],
      [{ type: 'range', key }],
    );
    if (r.succeeded) return r.revision;
    const resp = r.responses[0];
    if (resp && resp.type === 'range' && resp.result.kvs.length === 0) throw new KeyNotFoundError(key);
    throw new RevisionConflictError(key);
  }

  async delete(key: string, expectedModRevision?: number): Promise<number> {
    const compares =
      expectedModRevision !== undefined
        ? [{ key, target: 'modRevision' as const, result: '=' as const, value: expectedModRevision }]
        : [{ key, target: 'version' as const, result: '>' as const, value: 0 }];
    const r = await this.kv.txn(compares, [{ type: 'delete', key }], [{ type: 'range', key }]);
    if (r.succeeded) return r.revision;
    const resp = r.responses[0];
    if (resp && resp.type === 'range' && resp.result.kvs.length === 0) throw new KeyNotFoundError(key);
    throw new RevisionConflictError(key);
  }

  watch(prefix: string, afterRevision: number, cb: StorageWatchCallbacks): () => void {
    const h = this.kv.watch(
      prefix,
      { prefix: true, startRevision: afterRevision + 1, prevKv: true, progressNotify: true },
      {
        onEvents: (events, revision) => {
          const out: StorageEvent[] = events.map((e) => ({
            type: e.type,
            key: e.kv.key,
            value: e.kv.value,
            prevValue: e.prevKv?.value,
            modRevision: e.kv.modRevision,
            createRevision: e.kv.createRevision,
          }));
          cb.onEvents(out, revision);
        },
        onProgress: (rev) => cb.onProgress?.(rev),
        onError: (err) => cb.onError(mapStoreError(err)),
      },
    );
    return () => h.cancel();
  }

  async currentRevision(): Promise<number> {
    return this.kv.currentRevision();
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.kv.compact(revision);
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async close(): Promise<void> {
    if (this.ownsKv) await this.kv.close();
  }
}
