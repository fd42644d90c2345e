import {
  Server,
  ServerCredentials,
  status as grpcStatus,
  handleUnaryCall,
  ServiceError,
  Metadata,
} from '@grpc/grpc-js';
import { existsSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Image,
  ImageServiceServer,
  ImageServiceService,
  RuntimeServiceServer,
  RuntimeServiceService,
  ImageSpec,
  CgroupDriver,
} from './cri-api';
import { CommandError, CriError, DigestMismatchError } from './errors';
import { KeelsonRuntime, RuntimeOptions } from './runtime';
import { StoredImage } from './images/store';
import { pullImage, PullOptions } from './images/registry';
import { StreamingServer } from './streaming/server';

/** Name and versions this runtime reports (CRI Version). */
export const RUNTIME_NAME = 'keelson';
export const RUNTIME_VERSION = '0.1.0';

function toServiceError(e: unknown): Partial<ServiceError> {
  if (e instanceof CriError) return { code: e.code, details: e.message, metadata: new Metadata() };
  if (e instanceof DigestMismatchError) return { code: grpcStatus.DATA_LOSS, details: e.message };
  if (e instanceof CommandError) return { code: grpcStatus.UNKNOWN, details: e.message };
  return { code: grpcStatus.INTERNAL, details: (e as Error)?.message ?? String(e) };
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res> | Res): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (e) => callback(toServiceError(e) as ServiceError),
      );
  };
}

function toImage(img: StoredImage, spec?: ImageSpec): Image {
  const user = img.config.config?.User ?? '';
  const uidPart = user.split(':')[0];
  const numeric = /^\d+$/.test(uidPart);
  return {
    id: img.id,
    repoTags: img.repoTags,
    repoDigests: img.repoDigests,
    size: BigInt(img.size),
    uid: numeric ? { value: BigInt(uidPart) } : undefined,
    username: numeric ? '' : uidPart,
    spec: spec ?? {
      image: img.id,
      annotations: {},
      userSpecifiedImage: '',
      runtimeHandler: '',
      imageRef: '',
    },
    pinned: false,
  };
}

/**
 * Builds the grpc-js implementations of CRI RuntimeService and ImageService over a
 * {@link KeelsonRuntime}. Exec/Attach/PortForward answer a URL of `streaming` when given
 * (UNIMPLEMENTED otherwise); RPCs not listed answer UNIMPLEMENTED.
 */
export function criServices(
  rt: KeelsonRuntime,
  streaming?: StreamingServer,
  pullOptions: Omit<PullOptions, 'auth'> & { offlineFallback?: boolean } = {},
): { runtime: Partial<RuntimeServiceServer>; image: Partial<ImageServiceServer> } {
  const runtime: Partial<RuntimeServiceServer> = {
    version: unary(() => ({
      version: '0.1.0',
      runtimeName: RUNTIME_NAME,
      runtimeVersion: RUNTIME_VERSION,
      runtimeApiVersion: 'v1',
    })),
    status: unary((req) => ({
      status: {
        conditions: [
          { type: 'RuntimeReady', status: true, reason: '', message: '' },
          {
            type: 'NetworkReady',
            status: true,
            reason: '',
            message: 'pod networking is configured by the kubelet through CNI',
          },
        ],
      },
      info: (req.verbose
        ? {
            config: JSON.stringify({
              root: rt.opts.root,
              ociRuntime: rt.ociRuntimeName,
              note: rt.runtimeNote ?? '',
            }),
          }
        : {}) as Record<string, string>,
      runtimeHandlers: [
        { name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } },
        { name: 'runc', features: { recursiveReadOnlyMounts: false, userNamespaces: false } },
        { name: 'crun', features: { recursiveReadOnlyMounts: false, userNamespaces: false } },
      ],
      features: { supplementalGroupsPolicy: false, userNamespacesHostNetwork: false, mountOptions: false },
    })),
    runPodSandbox: unary(async (req) => ({
      podSandboxId: await rt.runPodSandbox(req.config, req.runtimeHandler),
    })),
    stopPodSandbox: unary(async (req) => {
      await rt.stopPodSandbox(req.podSandboxId);
      return {};
    }),
    removePodSandbox: unary(async (req) => {
      await rt.removePodSandbox(req.podSandboxId);
      return {};
    }),
    podSandboxStatus: unary(async (req) => {
      const res = await rt.podSandboxStatus(req.podSandboxId, req.verbose);
      res.containersStatuses = rt
        .listContainers({ id: '', podSandboxId: res.status!.id, labelSelector: {}, state: undefined })
        .map((c) => rt.containerStatus(c.id).status);
      return res;
    }),
    listPodSandbox: unary((req) => ({ items: rt.listPodSandbox(req.filter) })),
    createContainer: unary(async (req) => ({
      containerId: await rt.createContainer(req.podSandboxId, req.config, req.sandboxConfig),
    })),
    startContainer: unary(async (req) => {
      await rt.startContainer(req.containerId);
      return {};
    }),
    stopContainer: unary(async (req) => {
      await rt.stopContainer(req.containerId, Number(req.timeout));
      return {};
    }),
    removeContainer: unary(async (req) => {
      await rt.removeContainer(req.containerId);
      return {};
    }),
    listContainers: unary((req) => ({ containers: rt.listContainers(req.filter) })),
    containerStatus: unary((req) => rt.containerStatus(req.containerId, req.verbose)),
    updateContainerResources: unary(async (req) => {
      await rt.updateContainerResources(req.containerId, req.linux);
      return {};
    }),
    reopenContainerLog: unary(async (req) => {
      await rt.reopenContainerLog(req.containerId);
      return {};
    }),
    execSync: unary((req) => rt.execSync(req.containerId, req.cmd, Number(req.timeout))),
    exec: unary((req) => {
      if (!streaming) throw new CriError(grpcStatus.UNIMPLEMENTED, 'Exec: streaming server disabled');
      rt.execCommand(req.containerId, req.cmd, req.tty);
      if (!req.cmd.length) throw new CriError(grpcStatus.INVALID_ARGUMENT, 'Exec: cmd is empty');
      return {
        url: streaming.register({
          kind: 'exec',
          containerId: req.containerId,
          cmd: req.cmd,
          tty: req.tty,
          stdin: req.stdin,
          stdout: req.stdout,
          stderr: req.stderr,
        }),
      };
    }),
    attach: unary((req) => {
      if (!streaming) throw new CriError(grpcStatus.UNIMPLEMENTED, 'Attach: streaming server disabled');
      rt.attachTarget(req.containerId);
      return {
        url: streaming.register({
          kind: 'attach',
          containerId: req.containerId,
          cmd: [],
          tty: req.tty,
          stdin: req.stdin,
          stdout: req.stdout,
          stderr: req.stderr,
        }),
      };
    }),
    portForward: unary((req) => {
      if (!streaming) throw new CriError(grpcStatus.UNIMPLEMENTED, 'PortForward: streaming server disabled');
      rt.portForwardTarget(req.podSandboxId);
      const bad = req.port.find((p) => !(p > 0 && p < 65536));
      if (bad !== undefined)
        throw new CriError(grpcStatus.INVALID_ARGUMENT, `PortForward: invalid port ${bad}`);
      return {
        url: streaming.register({
          kind: 'portforward',
          containerId: req.podSandboxId,
          ports: req.port,
          cmd: [],
          tty: false,
          stdin: true,
          stdout: true,
          stderr: false,
        }),
      };
    }),
    containerStats: unary(async (req) => ({ stats: await rt.containerStats(req.containerId) })),
    listContainerStats: unary(async (req) => ({ stats: await rt.listContainerStats(req.filter) })),
    podSandboxStats: unary(async (req) => ({ stats: await rt.podSandboxStats(req.podSandboxId) })),
    listPodSandboxStats: unary(async (req) => {
      const stats = [];
      for (const s of rt.listPodSandbox({
        id: req.filter?.id ?? '',
        state: undefined,
        labelSelector: req.filter?.labelSelector ?? {},
      })) {
        stats.push(await rt.podSandboxStats(s.id));
      }
      return { stats };
    }),
    updateRuntimeConfig: unary(() => ({})),
    runtimeConfig: unary(() => ({ linux: { cgroupDriver: CgroupDriver.CGROUPFS } })),
  };
  const image: Partial<ImageServiceServer> = {
    listImages: unary(async (req) => {
      const want = req.filter?.image?.image;
      if (want) {
        const img = await rt.resolveImage(want);
        return { images: img ? [toImage(img)] : [] };
      }
      return { images: (await rt.images.list()).map((i) => toImage(i)) };
    }),
    imageStatus: unary(async (req) => {
      if (!req.image?.image)
        throw new CriError(grpcStatus.INVALID_ARGUMENT, 'ImageStatus: image.image is required');
      const img = await rt.resolveImage(req.image.image);
      if (!img) return { image: undefined, info: {} as Record<string, string> };
      return {
        image: toImage(img, req.image),
        info: (req.verbose
          ? {
              info: JSON.stringify({
                imageSpec: img.config,
                chainID: img.id,
                manifestDigest: img.manifestDigest,
              }),
            }
          : {}) as Record<string, string>,
      };
    }),
    pullImage: unary(async (req) => {
      if (!req.image?.image)
        throw new CriError(grpcStatus.INVALID_ARGUMENT, 'PullImage: image.image is required');
      const a = req.auth;
      const auth = a
        ? {
            username: a.username,
            password: a.password,
            auth: a.auth,
            registryToken: a.registryToken,
            identityToken: a.identityToken,
          }
        : undefined;
      try {
        const img = await pullImage(rt.images, req.image.image, { ...pullOptions, auth });
        return { imageRef: img.id };
      } catch (e) {
        // Offline clusters (DESIGN.md: no public registry is reachable) still run `:latest` images,
        // which the kubelet pulls on every start: an unreachable registry is not an error when
        // the image is already in the store.
        if (
          e instanceof CriError &&
          e.code === grpcStatus.UNAVAILABLE &&
          pullOptions.offlineFallback !== false
        ) {
          const local = await rt.resolveImage(req.image.image);
          if (local) {
            rt.opts.log?.(`PullImage ${req.image.image}: ${e.message}; using the image already in the store`);
            return { imageRef: local.id };
          }
        }
        throw e;
      }
    }),
    removeImage: unary(async (req) => {
      if (!req.image?.image)
        throw new CriError(grpcStatus.INVALID_ARGUMENT, 'RemoveImage: image.image is required');
      await rt.images.remove(req.image.image, rt.layersInUse());
      return {};
    }),
    imageFsInfo: unary(async () => {
      const u = await rt.images.usage();
      const fs = {
        timestamp: BigInt(Date.now()) * 1_000_000n,
        fsId: { mountpoint: u.mountpoint },
        usedBytes: { value: BigInt(u.usedBytes) },
        inodesUsed: { value: BigInt(u.inodesUsed) },
      };
      return { imageFilesystems: [fs], containerFilesystems: [] };
    }),
  };
  return { runtime, image };
}

/** Options of {@link startCriServer}. */
export interface CriServerOptions extends RuntimeOptions {
  /** `unix:///path/to/cri.sock` (or a plain path). */
  listen: string;
  /** Address the exec/attach streaming server binds, `host:port` (default `127.0.0.1:0`); `''` disables it. */
  streamingAddress?: string;
  /**
   * Registry options for PullImage (plain HTTP decision, fetch, timeout). `offlineFallback`
   * (default true): when the registry is unreachable and the image is already stored, PullImage
   * answers the stored image instead of failing.
   */
  pull?: Omit<PullOptions, 'auth'> & { offlineFallback?: boolean };
}

/** A running CRI server. */
export interface RunningCriServer {
  runtime: KeelsonRuntime;
  /** The unix socket path served. */
  socketPath: string;
  /** Base URL of the streaming server (`http://127.0.0.1:<port>`), when enabled. */
  streamingUrl?: string;
  /** Stops serving (containers keep running: state stays in the root dir). */
  close(): Promise<void>;
}

/**
 * Starts a CRI runtime.v1 gRPC server on a unix socket: initializes a {@link KeelsonRuntime}
 * (state under `root`; recovers what an earlier run left), the streaming server, and binds.
 * A stale socket file is replaced. @throws when the socket cannot be bound.
 */
export async function startCriServer(opts: CriServerOptions): Promise<RunningCriServer> {
  const rt = new KeelsonRuntime(opts);
  await rt.init();
  const socketPath = opts.listen.replace(/^unix:\/\//, '');
  mkdirSync(dirname(socketPath), { recursive: true });
  if (existsSync(socketPath)) unlinkSync(socketPath);
  let streaming: StreamingServer | undefined;
  if (opts.streamingAddress !== '') {
    streaming = new StreamingServer(rt);
    await streaming.listen(opts.streamingAddress ?? '127.0.0.1:0');
  }
  const server = new Server({
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    'grpc.max_send_message_length': 16 * 1024 * 1024,
  });
  const impl = criServices(rt, streaming, opts.pull);
  server.addService(RuntimeServiceService, impl.runtime as RuntimeServiceServer);
  server.addService(ImageServiceService, impl.image as ImageServiceServer);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return {
    runtime: rt,
    socketPath,
    streamingUrl: streaming?.url,
    async close() {
      rt.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await streaming?.close();
      if (existsSync(socketPath)) unlinkSync(socketPath);
    },
  };
}
