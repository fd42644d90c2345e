/**
 * The gRPC ApiServer service (proto/keelson/apiserver/v1/apiserver.proto) over the same
 * {@link ApiHandler} as REST. Objects travel as Kubernetes JSON bytes; errors become gRPC
 * statuses with the Kubernetes Status JSON in trailing metadata `keelson-status-bin`
 * (400/422 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND,
 * 409 ALREADY_EXISTS or ABORTED (Conflict), 410 OUT_OF_RANGE, 413 RESOURCE_EXHAUSTED,
 * 429 UNAVAILABLE, 500 INTERNAL).
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  status as grpcStatus,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { DeleteOptions, KubeObject } from '@keelson/api';
import {
  ApiServerService,
  type ApiServerServer,
  type ListOptions as ProtoListOptions,
  type ResourceRef as ProtoRef,
  type WatchEvent,
  type WatchRequest,
  type WriteOptions as ProtoWriteOptions,
} from '@keelson/api/generated/keelson/apiserver/v1/apiserver';
import type { ApiHandler, ResourceRef } from '../api-handler';
import { ApiError, badRequest, failure, toApiError, tooLarge } from '../errors';
import type { ListOptions, WriteOptions } from '../registry/generic-registry';
import { MAX_BODY_BYTES } from '../rest/request';
import { versionInfo } from '../rest/discovery';
import { toJson } from '../serialize';
import type { TokenAuthenticator } from '../authn';

/** Events a watch may queue for a slow client before the server ends it (object-mode stream). */
export const MAX_WATCH_BUFFER_EVENTS = 100_000;

/** Trailing metadata key carrying the Status JSON. */
export const STATUS_METADATA_KEY = 'keelson-status-bin';

/** Maps an HTTP code (and reason) to a gRPC status code, as the proto header documents. */
export function grpcCodeFor(httpCode: number, reason?: string): grpcStatus {
  switch (httpCode) {
    case 400:
    case 422:
    case 406:
    case 415:
      return grpcStatus.INVALID_ARGUMENT;
    case 401:
      return grpcStatus.UNAUTHENTICATED;
    case 403:
      return grpcStatus.PERMISSION_DENIED;
    case 404:
      return grpcStatus.NOT_FOUND;
    case 405:
      return grpcStatus.UNIMPLEMENTED;
    case 409:
      return reason === 'AlreadyExists' ? grpcStatus.ALREADY_EXISTS : grpcStatus.ABORTED;
    case 410:
      return grpcStatus.OUT_OF_RANGE;
    case 413:
      return grpcStatus.RESOURCE_EXHAUSTED;
    case 429:
      return grpcStatus.UNAVAILABLE;
    case 504:
      return grpcStatus.DEADLINE_EXCEEDED;
    default:
      return grpcStatus.INTERNAL;
  }
}

/** A gRPC error object (for callbacks and stream errors) from an ApiError. */
export function toGrpcError(err: unknown): { code: grpcStatus; details: string; metadata: Metadata } {
  const e = toApiError(err);
  const md = new Metadata();
  md.set(STATUS_METADATA_KEY, Buffer.from(JSON.stringify(e.status)));
  return { code: grpcCodeFor(e.code, e.status.reason), details: e.status.message ?? '', metadata: md };
}

function ref(r: ProtoRef | undefined): ResourceRef {
  if (!r) throw badRequest('ref is required');
  return {
    group: r.group,
    version: r.version,
    resource: r.resource,
    namespace: r.namespace || undefined,
    name: r.name || undefined,
    subresource: r.subresource || undefined,
  };
}

function parseJson(b: Uint8Array | undefined, what: string, allowEmpty = false): unknown {
  if (!b || b.length === 0) {
    if (allowEmpty) return undefined;
    throw badRequest(`${what} is required`);
  }
  if (b.length > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
  try {
    return JSON.parse(Buffer.from(b).toString('utf8'));
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function listOpts(o: ProtoListOptions | undefined): ListOptions {
  if (!o) return {};
  return {
    labelSelector: o.labelSelector || undefined,
    fieldSelector: o.fieldSelector || undefined,
    resourceVersion: o.resourceVersion || undefined,
    resourceVersionMatch: o.resourceVersionMatch || undefined,
    limit: o.limit || undefined,
    continue: o.continue || undefined,
    allowWatchBookmarks: o.allowWatchBookmarks,
    timeoutSeconds: o.timeoutSeconds || undefined,
    sendInitialEvents: o.sendInitialEvents,
  };
}

function writeOpts(o: ProtoWriteOptions | undefined): WriteOptions {
  if (!o) return {};
  return {
    fieldManager: o.fieldManager || undefined,
    fieldValidation: o.fieldValidation || undefined,
    dryRun: o.dryRun,
  };
}

function json(o: unknown): Buffer {
  return Buffer.from(toJson(o));
}

/** Trailing metadata key carrying each warning (fieldValidation=Warn), like REST's `Warning` header. */
export const WARNING_METADATA_KEY = 'warning';

/** Result of a unary handler: the response and any warnings for the trailers. */
interface Answer<Res> {
  res: Res;
  warnings?: string[];
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res | Answer<Res>>) {
  return (call: { request: Req }, cb: sendUnaryData<Res>) => {
    fn(call.request).then(
      (r) => {
        if (r && typeof r === 'object' && 'res' in (r as object)) {
          const a = r as Answer<Res>;
          const md = new Metadata();
          for (const w of a.warnings ?? []) md.add(WARNING_METADATA_KEY, w);
          cb(null, a.res, md);
        } else cb(null, r as Res);
      },
      (err) => {
        if (!(err instanceof ApiError)) console.error('apiserver grpc: internal error', err);
        cb(toGrpcError(err));
      },
    );
  };
}

let lastJson = '';
let lastBytes: Buffer = Buffer.alloc(0);
/** UTF-8 bytes of an event's JSON; consecutive calls with the same string (one event fanned out to many watchers) share one Buffer. */
function eventBytes(j: string): Buffer {
  if (j !== lastJson) {
    lastJson = j;
    lastBytes = Buffer.from(j);
  }
  return lastBytes;
}

/** The service implementation over a handler. */
export function apiServerImplementation(h: ApiHandler): ApiServerServer {
  return {
    create: unary(async (req) => {
      const r = await h.create(ref(req.ref), parseJson(req.object, 'object'), writeOpts(req.options));
      return { res: { object: json(r.object) }, warnings: r.warnings };
    }),
    get: unary(async (req) => ({
      object: json(await h.get(ref(req.ref), req.resourceVersion || undefined)),
    })),
    list: unary(async (req) => ({ list: json(await h.list(ref(req.ref), listOpts(req.options))) })),
    update: unary(async (req) => {
      const r = await h.update(ref(req.ref), parseJson(req.object, 'object'), writeOpts(req.options));
      return { res: { object: json(r.object) }, warnings: r.warnings };
    }),
    patch: unary(async (req) => {
      if (req.patch.length > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
      const r = await h.patch(
        ref(req.ref),
        req.patchType || 'application/merge-patch+json',
        Buffer.from(req.patch),
        writeOpts(req.options),
      );
      return { res: { object: json(r.object) }, warnings: r.warnings };
    }),
    delete: unary(async (req) => {
      const opts = (parseJson(req.options, 'options', true) ?? {}) as DeleteOptions;
      const r = await h.delete(ref(req.ref), opts);
      return { object: json(r.object) };
    }),
    deleteCollection: unary(async (req) => {
      const opts = (parseJson(req.deleteOptions, 'delete_options', true) ?? {}) as DeleteOptions;
      return { list: json(await h.deleteCollection(ref(req.ref), listOpts(req.listOptions), opts)) };
    }),
    version: unary(async () => ({ info: json(versionInfo()) })),
    watch(call: ServerWritableStream<WatchRequest, WatchEvent>) {
      let stop: (() => void) | undefined;
      let ended = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: unknown) => {
        if (ended) return;
        ended = true;
        stop?.();
        if (timer) clearTimeout(timer);
        if (err) call.emit('error', toGrpcError(err));
        else call.end();
      };
      call.on('cancelled', () => finish());
      call.on('error', () => finish());
      const opts = listOpts(call.request.options);
      Promise.resolve()
        .then(() =>
          h.watch(ref(call.request.ref), opts, {
            event: (type, obj: KubeObject, j?: string) => {
              if (ended) return;
              call.write({ type, object: eventBytes(j ?? JSON.stringify(obj)) });
              // a client that stops reading is cut off; it re-watches from its last resourceVersion
              if (call.writableLength > MAX_WATCH_BUFFER_EVENTS)
                finish(
                  new ApiError(
                    failure(
                      429,
                      'TooManyRequests',
                      'watch client is too slow; re-watch from the last resourceVersion',
                    ),
                  ),
                );
            },
            end: (err?: Error) => finish(err),
          }),
        )
        .then(
          (s) => {
            stop = s;
            if (ended) s();
            else if (opts.timeoutSeconds && opts.timeoutSeconds > 0)
              timer = setTimeout(() => finish(), opts.timeoutSeconds * 1000);
          },
          (err) => finish(err),
        );
    },
  };
}

/**
 * Requires a valid `authorization: Bearer <token>` metadata entry on every method but `version`
 * (anonymous, as REST /version); others fail with UNAUTHENTICATED and a 401 Unauthorized Status.
 */
export function withAuthentication(impl: ApiServerServer, auth: TokenAuthenticator): ApiServerServer {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(impl) as Array<[string, (...a: any[]) => void]>) {
    if (name === 'version') {
      out[name] = fn;
      continue;
    }
    out[name] = (
      call: { metadata: Metadata; emit(e: string, v: unknown): void },
      cb?: (e: unknown) => void,
    ) => {
      const header = call.metadata.get('authorization')[0];
      try {
        auth.authenticate(typeof header === 'string' ? header : header?.toString());
      } catch (err) {
        if (cb) cb(toGrpcError(err));
        else call.emit('error', toGrpcError(err));
        return;
      }
      fn(call, cb);
    };
  }
  return out as unknown as ApiServerServer;
}

/**
 * Starts a gRPC server on `host:port` (0 = any free port); resolves to it and the bound port.
 * With `auth`, every call but `version` needs a valid bearer token ({@link withAuthentication}).
 */
export async function startGrpcServer(
  h: ApiHandler,
  host: string,
  port: number,
  auth?: TokenAuthenticator,
): Promise<{ server: Server; port: number }> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_BODY_BYTES + 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
  });
  const impl = apiServerImplementation(h);
  server.addService(ApiServerService, auth ? withAuthentication(impl, auth) : impl);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port: bound };
}
