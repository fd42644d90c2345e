/**
 * {@link Storage} on an etcd v3 cluster through the `etcd3` npm client (raw KV RPCs, so ranges,
 * txn compares on mod_revision and compaction map one to one onto etcd's API), with one etcd
 * watch per storage watch (prefix, start revision, prev_kv, progress_notify). Tested against
 * etcd 3.4.
 */
import { Etcd3, type IKeyValue, type Watcher } from 'etcd3';
import {
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StorageCompactedError,
  StorageFutureRevisionError,
} from '../errors';
import type { ListResult, Storage, StorageEvent, StorageWatchCallbacks, StoredValue } from './interfaces';
import { prefixEnd } from './memory-kv';

function toStored(kv: IKeyValue): StoredValue {
  return {
    key: kv.key.toString('utf8'),
    value: new Uint8Array(kv.value),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  };
}

function mapEtcdError(err: unknown): Error {
  const msg = (err as Error)?.message ?? String(err);
  if (/compacted/i.test(msg)) {
    const m = /compact(?:ed)? revision[^\d]*(\d+)/i.exec(msg);
    return new StorageCompactedError(m ? Number(m[1]) : 0, msg);
  }
  if (/future rev/i.test(msg)) return new StorageFutureRevisionError(msg);
  return err instanceof Error ? err : new Error(msg);
}

/** Storage on etcd v3. */
export class EtcdStorage implements Storage {
  private readonly client: Etcd3;

  /** @param hosts etcd client URLs, e.g. ["http://127.0.0.1:2379"]. */
  constructor(hosts: string[]) {
    this.client = new Etcd3({ hosts });
  }

  async get(key: string, revision?: number): Promise<StoredValue | undefined> {
    try {
      const r = await this.client.kv.range({ key: Buffer.from(key), revision: revision || undefined });
      return r.kvs.length ? toStored(r.kvs[0]) : undefined;
    } catch (err) {
      throw mapEtcdError(err);
    }
  }

  async list(
    prefix: string,
    opts: { startKey?: string; limit?: number; revision?: number } = {},
  ): Promise<ListResult> {
    try {
      const r = await this.client.kv.range({
        key: Buffer.from(opts.startKey ?? prefix),
        range_end: Buffer.from(prefixEnd(prefix)),
        limit: opts.limit || undefined,
        revision: opts.revision || undefined,
      });
      const items = r.kvs.map(toStored);
      return {
        items,
        revision: opts.revision || Number(r.header.revision),
        more: r.more,
        remaining: Number(r.count) - items.length,
      };
    } catch (err) {
      throw mapEtcdError(err);
    }
  }

  async count(prefix: string): Promise<number> {
    const r = await this.client.kv.range({
      key: Buffer.from(prefix),
      range_end: Buffer.from(prefixEnd(prefix)),
      count_only: true,
    });
    return Number(r.count);
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    const k = Buffer.from(key);
    const r = await this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [],
    });
    if (!r.succeeded) throw new KeyExistsError(key);
    return Number(r.header.revision);
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number> {
    const k = Buffer.from(key);
    const r = await this.client.kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [{ request_range: { key: k } }],
    });
    if (r.succeeded) return Number(r.header.revision);
    const kvs = r.responses[0]?.response_range?.kvs ?? [];
    if (!kvs.length) throw new KeyNotFoundError(key);
    throw new RevisionConflictError(key);
  }

  async delete(key: string, expectedModRevision?: number): Promise<number> {
    const k = Buffer.from(key);
    const compare =
      expectedModRevision !== undefined
        ? { key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedModRevision }
        : { key: k, target: 'Version' as const, result: 'Greater' as const, version: 0 };
    const r = await this.client.kv.txn({
      compare: [compare],
      success: [{ request_delete_range: { key: k } }],
      failure: [{ request_range: { key: k } }],
    });
    if (r.succeeded) return Number(r.header.revision);
    const kvs = r.responses[0]?.response_range?.kvs ?? [];
    if (!kvs.length) throw new KeyNotFoundError(key);
    throw new RevisionConflictError(key);
  }

  watch(prefix: string, afterRevision: number, cb: StorageWatchCallbacks): () => void {
    let watcher: Watcher | undefined;
    let cancelled = false;
    let last = afterRevision;
    this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(afterRevision + 1))
      .withPreviousKV()
      .create()
      .then((w) => {
        watcher = w;
        if (cancelled) {
          void w.cancel();
          return;
        }
        w.on('data', (res) => {
          if (cancelled) return;
          const rev = Number(res.header.revision);
          const events: StorageEvent[] = [];
          for (const e of res.events) {
            const mod = Number(e.kv.mod_revision);
            if (mod <= last) continue;
            events.push({
              type: e.type === 'Delete' ? 'delete' : 'put',
              key: e.kv.key.toString('utf8'),
              value: new Uint8Array(e.kv.value ?? Buffer.alloc(0)),
              prevValue: e.prev_kv ? new Uint8Array(e.prev_kv.value) : undefined,
              modRevision: mod,
              createRevision: Number(e.kv.create_revision),
            });
          }
          if (events.length) {
            last = events[events.length - 1].modRevision;
            cb.onEvents(events, rev);
          } else if (!res.events.length) cb.onProgress?.(rev);
        });
        w.on('error', (err) => {
          if (cancelled) return;
          cancelled = true;
          cb.onError(mapEtcdError(err));
        });
      })
      .catch((err) => {
        if (!cancelled) cb.onError(mapEtcdError(err));
      });
    return () => {
      cancelled = true;
      if (watcher) void watcher.cancel().catch(() => undefined);
    };
  }

  async currentRevision(): Promise<number> {
    const r = await this.client.kv.range({ key: Buffer.from('\0'), count_only: true });
    return Number(r.header.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.client.kv.compact({ revision, physical: false });
    } catch (err) {
      throw mapEtcdError(err);
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
