// gRPC service of keelson-store: KVService (unary) and WatchService (one server stream per
// watch) over any KV implementation. Store errors become gRPC statuses with the error class in
// trailing metadata (see convert.ts), so RemoteStore rethrows the same classes.
import {
  Server,
  status as GrpcStatus,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  KVServiceService,
  WatchServiceService,
  type KVServiceServer,
  type WatchRequest,
  type WatchResponse,
  type WatchServiceServer,
} from '../generated/keelson/store/v1/kv';
import { StoreClosedError, StoreUnavailableError } from '../errors';
import type { KV } from '../types';
import {
  compareFromPb,
  errorToStatus,
  eventToPb,
  kvToPb,
  opFromPb,
  rangeFromPb,
  rangeResultToPb,
  responseToPb,
} from './convert';

/** Options of {@link startStoreServer}. */
export interface StoreServerOptions {
  /** Responses a watch stream may have queued for a slow client before it is ended (default 10,000). */
  maxBufferedWatchResponses?: number;
  /** More gRPC services on the same server (the replication layer adds RaftPeer). */
  services?: Array<{ definition: ServiceDefinition; implementation: UntypedServiceImplementation }>;
}

/** A running store server. */
export interface StoreServer {
  /** The bound TCP port (useful with port 0). */
  port: number;
  /** Ends every watch stream, stops accepting calls and waits (up to 2 s) for calls in flight. */
  close(): Promise<void>;
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let p: Promise<Res>;
    try {
      p = fn(call.request);
    } catch (err) {
      callback(errorToStatus(err));
      return;
    }
    p.then(
      (res) => callback(null, res),
      (err: unknown) => callback(errorToStatus(err)),
    );
  };
}

/**
 * Serves `kv` over gRPC (keelson.store.v1 KVService + WatchService) on `listen` ("host:port";
 * port 0 picks a free port). Does not close `kv` on close(). A watch stream whose client stops
 * reading ends with RESOURCE_EXHAUSTED (StoreUnavailableError on the RemoteStore side) once
 * `maxBufferedWatchResponses` responses are queued.
 * @throws the bind error (e.g. EADDRINUSE) when the address cannot be bound.
 */
export async function startStoreServer(
  kv: KV,
  listen: string,
  opts: StoreServerOptions = {},
): Promise<StoreServer> {
  const maxBuffered = opts.maxBufferedWatchResponses ?? 10_000;
  const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  /** Live watch streams → ends the stream with an error status and cancels the store watch. */
  const watches = new Map<ServerWritableStream<WatchRequest, WatchResponse>, (err: unknown) => void>();

  const kvImpl: KVServiceServer = {
    range: unary(async (req) => rangeResultToPb(await kv.range(req.key, rangeFromPb(req)))),
    put: unary(async (req) => {
      const r = await kv.put(req.key, req.value, { prevKv: req.prevKv });
      return { revision: r.revision, prevKv: r.prevKv && kvToPb(r.prevKv) };
    }),
    deleteRange: unary(async (req) => {
      const r = await kv.delete(req.key, { end: req.end, prefix: req.prefix, prevKv: req.prevKv });
      return { revision: r.revision, deleted: r.deleted, prevKvs: r.prevKvs.map(kvToPb) };
    }),
    txn: unary(async (req) => {
      const r = await kv.txn(
        req.compares.map(compareFromPb),
        req.success.map(opFromPb),
        req.failure.map(opFromPb),
      );
      return { succeeded: r.succeeded, revision: r.revision, responses: r.responses.map(responseToPb) };
    }),
    compact: unary(async (req) => {
      await kv.compact(req.revision);
      return {};
    }),
    status: unary(async () => ({
      revision: await kv.currentRevision(),
      compactRevision: await kv.compactRevision(),
    })),
  };

  const watchImpl: WatchServiceServer = {
    watch(call: ServerWritableStream<WatchRequest, WatchResponse>) {
      const req = call.request;
      let over = false;
      const end = (err: unknown) => {
        if (over) return;
        over = true;
        watches.delete(call);
        call.emit('error', errorToStatus(err));
      };
      call.write({ revision: 0, events: [], progress: false, created: true });
      const handle = kv.watch(
        req.key,
        {
          end: req.end,
          prefix: req.prefix,
          startRevision: req.startRevision,
          prevKv: req.prevKv,
          progressNotify: req.progressNotify,
        },
        {
          onEvents: (events, revision) => {
            if (over) return;
            call.write({ revision, events: events.map(eventToPb), progress: false, created: false });
            // A consumer that stops reading must not make the server buffer without bound: end
            // its watch; it re-watches from the last revision it saw.
            if (call.writableLength > maxBuffered) {
              handle.cancel();
              end(
                new StoreUnavailableError(
                  GrpcStatus.RESOURCE_EXHAUSTED,
                  `watch consumer too slow: more than ${maxBuffered} responses buffered; re-watch from the revision after the last event received`,
                ),
              );
            }
          },
          onProgress: (revision) => {
            if (!over) call.write({ revision, events: [], progress: true, created: false });
          },
          onError: end,
        },
      );
      if (over) return;
      watches.set(call, (err) => {
        handle.cancel();
        end(err);
      });
      call.on('cancelled', () => {
        over = true;
        watches.delete(call);
        handle.cancel();
      });
    },
  };

  server.addService(KVServiceService, kvImpl);
  server.addService(WatchServiceService, watchImpl);
  for (const svc of opts.services ?? []) server.addService(svc.definition, svc.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    async close() {
      for (const stop of [...watches.values()]) stop(new StoreClosedError('store server shutting down'));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}
