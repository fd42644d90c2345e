/**
 * The Clientset over gRPC to the apiserver's `keelson.apiserver.v1.ApiServer` service
 * (proto/keelson/apiserver/v1/apiserver.proto): objects travel as Kubernetes JSON in bytes fields;
 * failures carry the Kubernetes Status JSON in the trailing metadata `keelson-status-bin` and
 * become {@link ApiError}. One grpc-js channel per Clientset: it reconnects by itself after a
 * transport failure (with grpc-js' connection backoff) and keeps idle connections alive with
 * HTTP/2 pings; every unary call has a deadline; a watch is one server stream, cancelled by stop().
 */
import {
  ChannelCredentials,
  Metadata,
  status as GrpcStatus,
  type ServiceError,
  type CallOptions,
} from '@grpc/grpc-js';
import type { DeleteOptions, KubeList, KubeObject, ResourceInfo, Status, WatchEvent } from '@keelson/api';
import {
  ApiServerClient,
  type ListOptions as PbListOptions,
  type ResourceRef,
  type WriteOptions as PbWriteOptions,
  type WatchEvent as PbWatchEvent,
} from '@keelson/api/generated/keelson/apiserver/v1/apiserver';
import type {
  Clientset,
  ListOptions,
  PatchType,
  ResourceClient,
  WatchHandle,
  WatchHandlers,
  WriteOptions,
} from './interfaces';
import { ApiError } from './errors';
import { loadKubeconfig } from './kubeconfig';
import { PATCH_MEDIA_TYPES } from './patch';
import { resolveResource } from './resolve';

/** The trailing metadata key holding the Status JSON of a failed call. */
export const STATUS_METADATA_KEY = 'keelson-status-bin';

/** Options of {@link createClientset}. */
export interface ClientsetOptions {
  /** "host:port" of the apiserver's gRPC port. */
  grpcAddress: string;
  /** Bearer token sent as `authorization: Bearer <token>` metadata on every call. */
  token?: string;
  /** Channel credentials; default insecure (plaintext over loopback or a trusted network). */
  credentials?: ChannelCredentials;
  /** Deadline of each unary call, ms (default 30000). Watches have none. */
  timeoutMs?: number;
  /** HTTP/2 keepalive ping interval, ms (default 30000); a ping unanswered for 10 s drops the connection. */
  keepaliveMs?: number;
  /** Sent as the `user-agent` prefix (e.g. "keelson-scheduler"). */
  userAgent?: string;
  /** Extra resources (e.g. custom resources) besides @keelson/api's registry. */
  extraResources?: ResourceInfo[];
}

const GRPC_TO_HTTP: Record<number, [number, string]> = {
  [GrpcStatus.INVALID_ARGUMENT]: [400, 'BadRequest'],
  [GrpcStatus.UNAUTHENTICATED]: [401, 'Unauthorized'],
  [GrpcStatus.PERMISSION_DENIED]: [403, 'Forbidden'],
  [GrpcStatus.NOT_FOUND]: [404, 'NotFound'],
  [GrpcStatus.ALREADY_EXISTS]: [409, 'AlreadyExists'],
  [GrpcStatus.ABORTED]: [409, 'Conflict'],
  [GrpcStatus.FAILED_PRECONDITION]: [409, 'Conflict'],
  [GrpcStatus.OUT_OF_RANGE]: [410, 'Expired'],
  [GrpcStatus.RESOURCE_EXHAUSTED]: [429, 'TooManyRequests'],
  [GrpcStatus.UNIMPLEMENTED]: [405, 'MethodNotAllowed'],
  [GrpcStatus.DEADLINE_EXCEEDED]: [504, 'Timeout'],
  [GrpcStatus.UNAVAILABLE]: [503, 'ServiceUnavailable'],
  [GrpcStatus.CANCELLED]: [499, 'Cancelled'],
};

/**
 * Translates a gRPC error into an ApiError: the Status from `keelson-status-bin` when present,
 * else a Status synthesised from the gRPC code (UNAVAILABLE → 503 ServiceUnavailable,
 * DEADLINE_EXCEEDED → 504 Timeout, the rest per the proto header's table).
 */
export function toApiError(err: ServiceError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const se = err as Partial<ServiceError>;
  const raw = se.metadata?.get(STATUS_METADATA_KEY)?.[0];
  if (raw !== undefined) {
    try {
      const st = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)) as Status;
      if (st && typeof st === 'object') return new ApiError(st);
    } catch {
      // fall through to the code mapping
    }
  }
  const [code, reason] = GRPC_TO_HTTP[se.code ?? GrpcStatus.INTERNAL] ?? [500, 'InternalError'];
  return new ApiError({ code, reason, message: se.details || err.message });
}

function pbList(o: ListOptions = {}): PbListOptions {
  return {
    labelSelector: o.labelSelector ?? '',
    fieldSelector: o.fieldSelector ?? '',
    resourceVersion: o.resourceVersion ?? '',
    resourceVersionMatch: o.resourceVersionMatch ?? '',
    limit: o.limit ?? 0,
    continue: o.continue ?? '',
    allowWatchBookmarks: o.allowWatchBookmarks ?? false,
    timeoutSeconds: o.timeoutSeconds ?? 0,
    sendInitialEvents: false,
  };
}
function pbWrite(o: WriteOptions = {}): PbWriteOptions {
  return {
    fieldManager: o.fieldManager ?? '',
    fieldValidation: o.fieldValidation ?? '',
    dryRun: o.dryRun ?? false,
  };
}
function encode(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}
function decode<T>(b: Uint8Array | undefined): T {
  if (!b || b.length === 0) return undefined as T;
  return JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as T;
}

type Unary<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: Partial<CallOptions>,
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

class GrpcClientset implements Clientset {
  readonly client: ApiServerClient;
  private readonly clients = new Map<string, ResourceClient<KubeObject>>();
  private readonly watches = new Set<{ cancel(): void }>();
  private closed = false;

  constructor(private readonly opts: ClientsetOptions) {
    const keepalive = opts.keepaliveMs ?? 30000;
    this.client = new ApiServerClient(
      opts.grpcAddress,
      opts.credentials ?? ChannelCredentials.createInsecure(),
      {
        'grpc.keepalive_time_ms': keepalive,
        'grpc.keepalive_timeout_ms': 10000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 5000,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        'grpc.max_send_message_length': 64 * 1024 * 1024,
        'grpc.primary_user_agent': opts.userAgent ?? 'keelson-client',
      },
    );
  }

  metadata(): Metadata {
    const md = new Metadata();
    if (this.opts.token) md.set('authorization', `Bearer ${this.opts.token}`);
    return md;
  }

  /** @internal Runs one unary call with the deadline; rejects with ApiError. */
  unary<Req, Res>(method: keyof ApiServerClient, req: Req): Promise<Res> {
    if (this.closed)
      return Promise.reject(
        new ApiError({ code: 503, reason: 'ServiceUnavailable', message: 'clientset is closed' }),
      );
    const fn = (this.client[method] as unknown as Unary<Req, Res>).bind(this.client);
    const deadline = Date.now() + (this.opts.timeoutMs ?? 30000);
    return new Promise<Res>((resolve, reject) => {
      fn(req, this.metadata(), { deadline }, (err, res) => (err ? reject(toApiError(err)) : resolve(res)));
    });
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  trackWatch(w: { cancel(): void }): () => void {
    this.watches.add(w);
    return () => this.watches.delete(w);
  }

  resource<T extends KubeObject = KubeObject>(name: string, apiVersion?: string): ResourceClient<T> {
    const info = resolveResource(name, apiVersion, this.opts.extraResources);
    const k = `${info.group}/${info.version}/${info.resource}`;
    let c = this.clients.get(k);
    if (!c) {
      c = new GrpcResourceClient(this, info);
      this.clients.set(k, c);
    }
    return c as unknown as ResourceClient<T>;
  }

  async version(): Promise<Record<string, string>> {
    const res = await this.unary<object, { info: Uint8Array }>('version', {});
    return decode<Record<string, string>>(res.info);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.cancel();
    this.client.close();
  }
}

class GrpcResourceClient implements ResourceClient<KubeObject> {
  constructor(
    private readonly cs: GrpcClientset,
    readonly info: ResourceInfo,
  ) {}

  private ref(namespace: string | undefined, name = '', subresource = ''): ResourceRef {
    return {
      group: this.info.group,
      version: this.info.version,
      resource: this.info.resource,
      namespace: this.info.namespaced ? (namespace ?? '') : '',
      name,
      subresource,
    };
  }

  private nsOf(obj: KubeObject): string {
    return this.info.namespaced ? obj.metadata?.namespace || 'default' : '';
  }

  private async object<R>(method: keyof ApiServerClient, req: unknown): Promise<R> {
    const res = await this.cs.unary<unknown, { object: Uint8Array }>(method, req);
    return decode<R>(res.object);
  }

  get(namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.object('get', { ref: this.ref(namespace, name), resourceVersion: '' });
  }

  async list(namespace?: string, opts?: ListOptions): Promise<KubeList<KubeObject>> {
    const res = await this.cs.unary<unknown, { list: Uint8Array }>('list', {
      ref: this.ref(namespace),
      options: pbList(opts),
    });
    const list = decode<KubeList<KubeObject>>(res.list);
    list.items ??= [];
    list.metadata ??= {};
    for (const o of list.items) this.typeMeta(o);
    return list;
  }

  /**
   * List items arrive without apiVersion/kind (as from kube-apiserver); fill them in so every
   * object a caller or an informer sees is self-describing, as the fake clientset's are.
   */
  private typeMeta(o: KubeObject | undefined): void {
    if (!o || typeof o !== 'object') return;
    o.apiVersion ||= this.info.group ? `${this.info.group}/${this.info.version}` : this.info.version;
    o.kind ||= this.info.kind;
  }

  create(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.object('create', {
      ref: this.ref(this.nsOf(obj)),
      object: encode(obj),
      options: pbWrite(opts),
    });
  }

  update(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.object('update', {
      ref: this.ref(this.nsOf(obj), obj.metadata.name ?? ''),
      object: encode(obj),
      options: pbWrite(opts),
    });
  }

  updateStatus(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.object('update', {
      ref: this.ref(this.nsOf(obj), obj.metadata.name ?? '', 'status'),
      object: encode(obj),
      options: pbWrite(opts),
    });
  }

  patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: string; force?: boolean } = {},
  ): Promise<KubeObject> {
    const body =
      typeof patch === 'string'
        ? Buffer.from(patch, 'utf8')
        : patch instanceof Uint8Array
          ? Buffer.from(patch)
          : encode(patch);
    return this.object('patch', {
      ref: this.ref(namespace, name, opts.subresource ?? ''),
      patchType: PATCH_MEDIA_TYPES[type],
      patch: body,
      options: pbWrite(opts),
      force: opts.force ?? false,
    });
  }

  delete(namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KubeObject | Status> {
    return this.object('delete', {
      ref: this.ref(namespace, name),
      options: opts ? encode(opts) : Buffer.alloc(0),
    });
  }

  async deleteCollection(
    namespace: string | undefined,
    listOpts?: ListOptions,
    opts?: DeleteOptions,
  ): Promise<KubeList<KubeObject>> {
    const res = await this.cs.unary<unknown, { list: Uint8Array }>('deleteCollection', {
      ref: this.ref(namespace),
      listOptions: pbList(listOpts),
      deleteOptions: opts ? encode(opts) : Buffer.alloc(0),
    });
    const list =
      decode<KubeList<KubeObject>>(res.list) ?? ({ metadata: {}, items: [] } as KubeList<KubeObject>);
    list.items ??= [];
    for (const o of list.items) this.typeMeta(o);
    return list;
  }

  watch(namespace: string | undefined, opts: ListOptions, handlers: WatchHandlers<KubeObject>): WatchHandle {
    let done = false;
    let stopped = false;
    if (this.cs.isClosed()) {
      queueMicrotask(() =>
        handlers.onClose?.(
          new ApiError({ code: 503, reason: 'ServiceUnavailable', message: 'clientset is closed' }),
        ),
      );
      return { stop: () => {} };
    }
    const call = this.cs.client.watch(
      { ref: this.ref(namespace), options: pbList(opts) },
      this.cs.metadata(),
    );
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      untrack();
      handlers.onClose?.(err);
    };
    const stop = () => {
      if (stopped || done) return;
      stopped = true;
      call.cancel();
      // grpc-js emits 'error' with CANCELLED after cancel(); close without error right away.
      queueMicrotask(() => finish());
    };
    const untrack = this.cs.trackWatch({ cancel: stop });
    call.on('data', (ev: PbWatchEvent) => {
      if (done || stopped) return;
      let object: KubeObject;
      try {
        object = decode<KubeObject>(ev.object);
      } catch (e) {
        call.cancel();
        finish(
          new ApiError({
            code: 500,
            reason: 'InternalError',
            message: `undecodable watch event: ${(e as Error).message}`,
          }),
        );
        return;
      }
      if (ev.type === 'ERROR') {
        call.cancel();
        finish(new ApiError(object as unknown as Status));
        return;
      }
      if (ev.type !== 'BOOKMARK') this.typeMeta(object);
      try {
        handlers.onEvent({ type: ev.type as WatchEvent['type'], object });
      } catch {
        // a throwing handler must not kill the stream
      }
    });
    call.on('error', (err: ServiceError) => {
      if (stopped) return finish();
      finish(toApiError(err));
    });
    call.on('end', () => finish());
    return { stop };
  }

  async getSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
  ): Promise<R> {
    return this.object<R>('get', { ref: this.ref(namespace, name, subresource), resourceVersion: '' });
  }

  createSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<R> {
    return this.object<R>('create', {
      ref: this.ref(namespace, name, subresource),
      object: encode(body),
      options: pbWrite(),
    });
  }

  updateSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<R> {
    return this.object<R>('update', {
      ref: this.ref(namespace, name, subresource),
      object: encode(body),
      options: pbWrite(),
    });
  }
}

/**
 * A Clientset over gRPC. Connects lazily; calls made while the apiserver is unreachable fail
 * with ApiError 503 ServiceUnavailable (or 504 Timeout at the deadline) and later calls reconnect.
 */
export function createClientset(opts: ClientsetOptions): Clientset {
  return new GrpcClientset(opts);
}

/**
 * A Clientset for the current context of a kubeconfig file (see {@link loadKubeconfig} for how
 * the gRPC address is found). TLS is used when the `keelson.dev/grpc` extension says `tls: true`
 * (with the cluster's CA, and the user's client certificate and key when present). Throws ClientConfigError when the kubeconfig is unusable.
 */
export function clientsetFromKubeconfig(
  path: string,
  opts: Partial<Omit<ClientsetOptions, 'grpcAddress'>> & { context?: string } = {},
): Clientset {
  const t = loadKubeconfig(path, { context: opts.context });
  return createClientset({
    ...opts,
    grpcAddress: t.grpcAddress,
    token: opts.token ?? t.token,
    credentials:
      opts.credentials ??
      (t.tls
        ? ChannelCredentials.createSsl(t.caData ?? null, t.keyData ?? null, t.certData ?? null)
        : undefined),
  });
}
