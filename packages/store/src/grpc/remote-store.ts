// RemoteStore: the KV interface over gRPC to a keelson-store process (or any server started
// with startStoreServer). Errors come back as the store's named error classes.
import {
  Metadata,
  credentials,
  status as GrpcStatus,
  type CallOptions,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  KVServiceClient,
  WatchServiceClient,
  type DeleteRangeResponse,
  type PutResponse,
  type RangeResponse,
  type StatusResponse,
  type TxnResponse,
  type WatchResponse,
} from '../generated/keelson/store/v1/kv';
import { InvalidArgumentError, StoreClosedError, StoreUnavailableError } from '../errors';
import type {
  Compare,
  KV,
  KeyValue,
  RangeOptions,
  RangeResult,
  TxnOp,
  TxnResult,
  WatchCallbacks,
  WatchHandle,
  WatchOptions,
} from '../types';
import {
  compareToPb,
  errorFromStatus,
  eventFromPb,
  kvFromPb,
  opToPb,
  rangeResultFromPb,
  rangeToPb,
  responseFromPb,
} from './convert';
import { checkCount, checkKey, checkValue, makeSpan } from '../span';
import { normalizeTxn } from '../mvcc-state';

/** Options of {@link RemoteStore}. */
export interface RemoteStoreOptions {
  /** Per-call deadline for unary calls, ms (default none). */
  timeoutMs?: number;
  /**
   * HTTP/2 keepalive ping period while calls (e.g. watches) are open, ms (default 30,000): a
   * server that vanished without closing the connection fails the watch within this plus 10 s.
   */
  keepaliveMs?: number;
}

type Unary<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: CallOptions,
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

/**
 * gRPC client of keelson-store implementing {@link KV}.
 * With several addresses ("h1:p1,h2:p2") it talks to one at a time and moves to the next after a
 * call fails with UNAVAILABLE (the failed call is not retried: its outcome is unknown).
 */
export class RemoteStore implements KV {
  private readonly addresses: string[];
  private readonly clients: Array<{ kv: KVServiceClient; watch: WatchServiceClient } | undefined>;
  private current = 0;
  private readonly watches = new Map<number, { stop(err?: Error): void }>();
  private nextWatchId = 1;
  private closed = false;
  private readonly timeoutMs: number | undefined;
  private readonly keepaliveMs: number;

  /**
   * @param address "host:port" of a keelson-store (plaintext gRPC), or several, comma-separated.
   * Connects lazily; calls fail with StoreUnavailableError (code UNAVAILABLE) while unreachable.
   * @throws InvalidArgumentError for an empty address list.
   */
  constructor(address: string, opts: RemoteStoreOptions = {}) {
    this.addresses = address
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (!this.addresses.length)
      throw new InvalidArgumentError('RemoteStore needs at least one host:port address');
    this.clients = this.addresses.map(() => undefined);
    this.timeoutMs = opts.timeoutMs;
    this.keepaliveMs = opts.keepaliveMs ?? 30_000;
  }

  private client(i = this.current): { kv: KVServiceClient; watch: WatchServiceClient } {
    let c = this.clients[i];
    if (!c) {
      const options = {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        'grpc.keepalive_time_ms': this.keepaliveMs,
        'grpc.keepalive_timeout_ms': 10_000,
      };
      const addr = this.addresses[i];
      c = {
        kv: new KVServiceClient(addr, credentials.createInsecure(), options),
        watch: new WatchServiceClient(addr, credentials.createInsecure(), options),
      };
      this.clients[i] = c;
    }
    return c;
  }

  /** The KV client of the current address (its methods are the generated unary calls). */
  private get kv(): KVServiceClient {
    return this.client().kv;
  }

  private call<Req, Res>(method: Unary<Req, Res>, req: Req): Promise<Res> {
    if (this.closed) return Promise.reject(new StoreClosedError('remote store client is closed'));
    const opts = this.timeoutMs ? { deadline: Date.now() + this.timeoutMs } : {};
    const at = this.current;
    return new Promise<Res>((resolve, reject) => {
      method.call(this.client(at).kv, req, new Metadata(), opts, (err, res) => {
        if (!err) return resolve(res);
        if (err.code === GrpcStatus.UNAVAILABLE && this.current === at) {
          this.current = (at + 1) % this.addresses.length;
        }
        reject(errorFromStatus(err));
      });
    });
  }

  /** {@inheritDoc KV.put} */
  async put(
    key: string,
    value: Uint8Array,
    opts: { prevKv?: boolean } = {},
  ): Promise<{ revision: number; prevKv?: KeyValue }> {
    checkKey(key);
    checkValue(value);
    const r = await this.call(this.kv.put as Unary<unknown, PutResponse>, {
      key,
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      prevKv: !!opts.prevKv,
    });
    return r.prevKv ? { revision: r.revision, prevKv: kvFromPb(r.prevKv) } : { revision: r.revision };
  }

  /** {@inheritDoc KV.get} */
  async get(key: string, opts: { revision?: number } = {}): Promise<KeyValue | undefined> {
    const r = await this.range(key, { revision: opts.revision });
    return r.kvs[0];
  }

  /** {@inheritDoc KV.range} */
  async range(key: string, opts: RangeOptions = {}): Promise<RangeResult> {
    makeSpan(key, opts.end, opts.prefix);
    checkCount('limit', opts.limit);
    checkCount('revision', opts.revision);
    const r = await this.call(this.kv.range as Unary<unknown, RangeResponse>, rangeToPb(key, opts));
    return rangeResultFromPb(r);
  }

  /** {@inheritDoc KV.delete} */
  async delete(
    key: string,
    opts: { end?: string; prefix?: boolean; prevKv?: boolean } = {},
  ): Promise<{ revision: number; deleted: number; prevKvs: KeyValue[] }> {
    makeSpan(key, opts.end, opts.prefix);
    const r = await this.call(this.kv.deleteRange as Unary<unknown, DeleteRangeResponse>, {
      key,
      end: opts.end,
      prefix: !!opts.prefix,
      prevKv: !!opts.prevKv,
    });
    return { revision: r.revision, deleted: r.deleted, prevKvs: r.prevKvs.map(kvFromPb) };
  }

  /** {@inheritDoc KV.txn} */
  async txn(compares: Compare[], success: TxnOp[], failure: TxnOp[]): Promise<TxnResult> {
    normalizeTxn(compares, success, failure); // same validation (and errors) as the server, no round trip
    const req = {
      compares: compares.map(compareToPb),
      success: success.map(opToPb),
      failure: failure.map(opToPb),
    };
    const r = await this.call(this.kv.txn as Unary<unknown, TxnResponse>, req);
    return { succeeded: r.succeeded, revision: r.revision, responses: r.responses.map(responseFromPb) };
  }

  /** {@inheritDoc KV.compact} */
  async compact(revision: number): Promise<void> {
    checkCount('revision', revision);
    await this.call(this.kv.compact as Unary<unknown, unknown>, { revision });
  }

  /** {@inheritDoc KV.currentRevision} */
  async currentRevision(): Promise<number> {
    const r = await this.call(this.kv.status as Unary<unknown, StatusResponse>, {});
    return r.revision;
  }

  /** {@inheritDoc KV.compactRevision} */
  async compactRevision(): Promise<number> {
    const r = await this.call(this.kv.status as Unary<unknown, StatusResponse>, {});
    return r.compactRevision;
  }

  /**
   * {@inheritDoc KV.watch}
   * One server stream per watch. With no startRevision, "now" is when the server registers the
   * watch, which can be after this call returns: pass startRevision for an exact start.
   */
  watch(key: string, opts: WatchOptions, cb: WatchCallbacks): WatchHandle {
    const id = this.nextWatchId++;
    let early: Error | undefined;
    try {
      if (this.closed) throw new StoreClosedError('remote store client is closed');
      makeSpan(key, opts?.end, opts?.prefix);
      checkCount('startRevision', opts?.startRevision);
    } catch (err) {
      early = err as Error;
    }
    if (early) {
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) cb.onError(early);
      });
      return { id, cancel: () => void (cancelled = true) };
    }
    let over = false;
    const stream: ClientReadableStream<WatchResponse> = this.client().watch.watch({
      key,
      end: opts.end,
      prefix: !!opts.prefix,
      startRevision: opts.startRevision ?? 0,
      prevKv: !!opts.prevKv,
      progressNotify: !!opts.progressNotify,
    });
    const stop = (err?: Error) => {
      if (over) return;
      over = true;
      this.watches.delete(id);
      stream.cancel();
      if (err) cb.onError(err);
    };
    this.watches.set(id, { stop });
    stream.on('data', (resp: WatchResponse) => {
      if (over || resp.created) return;
      try {
        if (resp.progress) cb.onProgress?.(resp.revision);
        else cb.onEvents(resp.events.map(eventFromPb), resp.revision);
      } catch (err) {
        stop(err instanceof Error ? err : new Error(String(err)));
      }
    });
    const at = this.current;
    stream.on('error', (err: ServiceError) => {
      if (over) return;
      if (err.code === GrpcStatus.UNAVAILABLE && this.current === at) {
        this.current = (at + 1) % this.addresses.length;
      }
      if (err.code === GrpcStatus.CANCELLED) stop(new StoreUnavailableError(err.code, err.details));
      else stop(errorFromStatus(err));
    });
    stream.on('end', () => {
      if (!over) stop(new StoreUnavailableError(GrpcStatus.UNAVAILABLE, 'watch stream ended'));
    });
    return { id, cancel: () => stop() };
  }

  /** Ends every watch (onError with StoreClosedError) and closes the channels. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches.values()]) w.stop(new StoreClosedError('remote store client closed'));
    for (const c of this.clients) {
      c?.kv.close();
      c?.watch.close();
    }
  }
}
