/**
 * An in-process gRPC ApiServer for tests: serves keelson.apiserver.v1.ApiServer on loopback by
 * delegating to a FakeClientset, with errors as gRPC statuses carrying `keelson-status-bin`
 * (the mapping of proto/keelson/apiserver/v1/apiserver.proto's header).
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  status as S,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { KubeObject, ResourceInfo } from '@keelson/api';
import { ApiServerService, type ResourceRef } from '@keelson/api/generated/keelson/apiserver/v1/apiserver';
import { ApiError, FakeClientset, resolveResource, type ListOptions, type PatchType } from '../../src';

const HTTP_TO_GRPC: Record<number, number> = {
  400: S.INVALID_ARGUMENT,
  422: S.INVALID_ARGUMENT,
  401: S.UNAUTHENTICATED,
  403: S.PERMISSION_DENIED,
  404: S.NOT_FOUND,
  410: S.OUT_OF_RANGE,
  413: S.RESOURCE_EXHAUSTED,
  429: S.UNAVAILABLE,
};

function grpcError(e: unknown) {
  const err =
    e instanceof ApiError ? e : new ApiError({ code: 500, reason: 'InternalError', message: String(e) });
  const md = new Metadata();
  md.set('keelson-status-bin', Buffer.from(JSON.stringify(err.status)));
  const code =
    err.code === 409
      ? err.reason === 'AlreadyExists'
        ? S.ALREADY_EXISTS
        : S.ABORTED
      : (HTTP_TO_GRPC[err.code] ?? S.INTERNAL);
  return { code, details: err.message, metadata: md };
}

const j = (b: Uint8Array) => (b.length ? JSON.parse(Buffer.from(b).toString('utf8')) : undefined);
const out = (v: unknown) => Buffer.from(JSON.stringify(v));
const PATCH: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};
function lo(o?: {
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  limit: number;
  continue: string;
}): ListOptions {
  return {
    labelSelector: o?.labelSelector || undefined,
    fieldSelector: o?.fieldSelector || undefined,
    resourceVersion: o?.resourceVersion || undefined,
    limit: o?.limit || undefined,
    continue: o?.continue || undefined,
  };
}

export interface FakeApiServer {
  address: string;
  fake: FakeClientset;
  /** Authorization metadata seen on the last call. */
  lastAuthorization?: string;
  stop(): Promise<void>;
}

/** Starts the server on 127.0.0.1:<ephemeral>; `stop()` shuts it down (force). */
export async function startFakeApiServer(fake = new FakeClientset(), port = 0): Promise<FakeApiServer> {
  const server = new Server();
  const state: FakeApiServer = { address: '', fake, stop: async () => void server.forceShutdown() };
  const info = (ref?: ResourceRef): ResourceInfo =>
    resolveResource(ref!.resource, ref!.group ? `${ref!.group}/${ref!.version}` : ref!.version);
  const unary =
    <Req extends { ref?: ResourceRef }>(
      fn: (req: Req, rc: ReturnType<FakeClientset['resource']>) => Promise<unknown>,
      wrap: (v: unknown) => object,
    ) =>
    (call: ServerUnaryCall<Req, unknown>, cb: sendUnaryData<unknown>) => {
      state.lastAuthorization = call.metadata.get('authorization')[0] as string | undefined;
      let p: Promise<unknown>;
      try {
        p = fn(
          call.request,
          call.request.ref
            ? fake.resource(
                info(call.request.ref).resource,
                call.request.ref.group
                  ? `${call.request.ref.group}/${call.request.ref.version}`
                  : call.request.ref.version,
              )
            : (undefined as never),
        );
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => cb(null, wrap(v)),
        (e) => cb(grpcError(e)),
      );
    };
  const obj = (v: unknown) => ({ object: out(v) });
  const list = (v: unknown) => ({ list: out(v) });
  server.addService(ApiServerService, {
    create: unary<{ ref?: ResourceRef; object: Uint8Array }>((r, rc) => {
      const body = j(r.object) as KubeObject;
      if (r.ref!.subresource)
        return rc.createSubresource(r.ref!.namespace, r.ref!.name, r.ref!.subresource, body);
      body.metadata = { ...body.metadata, namespace: r.ref!.namespace || body.metadata?.namespace };
      return rc.create(body);
    }, obj),
    get: unary<{ ref?: ResourceRef }>(
      (r, rc) =>
        r.ref!.subresource
          ? rc.getSubresource(r.ref!.namespace, r.ref!.name, r.ref!.subresource)
          : rc.get(r.ref!.namespace, r.ref!.name),
      obj,
    ),
    list: unary<{ ref?: ResourceRef; options?: never }>(
      (r, rc) => rc.list(r.ref!.namespace || undefined, lo(r.options)),
      list,
    ),
    update: unary<{ ref?: ResourceRef; object: Uint8Array }>((r, rc) => {
      const body = j(r.object) as KubeObject;
      if (r.ref!.subresource === 'status') return rc.updateStatus(body);
      if (r.ref!.subresource)
        return rc.updateSubresource(r.ref!.namespace, r.ref!.name, r.ref!.subresource, body);
      return rc.update(body);
    }, obj),
    patch: unary<{ ref?: ResourceRef; patchType: string; patch: Uint8Array }>(
      (r, rc) =>
        rc.patch(r.ref!.namespace, r.ref!.name, PATCH[r.patchType]!, j(r.patch), {
          subresource: r.ref!.subresource || undefined,
        }),
      obj,
    ),
    delete: unary<{ ref?: ResourceRef; options: Uint8Array }>(
      (r, rc) => rc.delete(r.ref!.namespace, r.ref!.name, j(r.options)),
      obj,
    ),
    deleteCollection: unary<{ ref?: ResourceRef; listOptions?: never; deleteOptions: Uint8Array }>(
      (r, rc) => rc.deleteCollection(r.ref!.namespace || undefined, lo(r.listOptions), j(r.deleteOptions)),
      list,
    ),
    version: unary<{ ref?: ResourceRef }>(
      () => fake.version(),
      (v) => ({ info: out(v) }),
    ),
    watch: (
      call: import('@grpc/grpc-js').ServerWritableStream<{ ref?: ResourceRef; options?: never }, unknown>,
    ) => {
      const ref = call.request.ref!;
      let h: { stop(): void } | undefined;
      try {
        h = fake.resource(info(ref).resource).watch(ref.namespace || undefined, lo(call.request.options), {
          onEvent: (e) => call.write({ type: e.type, object: out(e.object) }),
          onClose: (err) => {
            if (err instanceof ApiError) call.emit('error', grpcError(err));
            else if (err) call.emit('error', { code: S.UNAVAILABLE, details: err.message });
            else call.end();
          },
        });
      } catch (e) {
        call.emit('error', grpcError(e));
      }
      call.on('cancelled', () => h?.stop());
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  state.address = `127.0.0.1:${bound}`;
  return state;
}
