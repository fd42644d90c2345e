/**
 * CriRuntime over CRI runtime.v1 gRPC on a unix socket, using the generated grpc-js clients.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  ContainerConfig as ContainerConfigMsg,
  ContainerFilter as ContainerFilterMsg,
  ImageServiceClient,
  PodSandboxConfig as PodSandboxConfigMsg,
  PodSandboxFilter as PodSandboxFilterMsg,
  RuntimeServiceClient,
  type ContainerConfig,
  type ContainerFilter,
  type Image,
  type PodSandboxConfig,
  type PodSandboxFilter,
} from './cri-api';
import { CriError } from '../errors';
import { imageSpec, type CriRuntime } from './runtime';

type Unary<Req, Res> = (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown;

/** Normalizes "unix:///path", "unix:/path" or "/path" to the grpc-js address "unix:///path". */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint;
  if (endpoint.startsWith('unix:')) return `unix://${endpoint.slice(5)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

/**
 * A {@link CriRuntime} speaking CRI runtime.v1 gRPC. `endpoint` is e.g.
 * "unix:///run/keelson/cri.sock"; `timeoutMs` bounds every call (default 2 min, pulls 10 min).
 */
export class GrpcCriRuntime implements CriRuntime {
  private readonly rt: RuntimeServiceClient;
  private readonly img: ImageServiceClient;

  constructor(
    endpoint: string,
    private readonly timeoutMs = 120_000,
  ) {
    const addr = normalizeEndpoint(endpoint);
    const opts = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.rt = new RuntimeServiceClient(addr, credentials.createInsecure(), opts);
    this.img = new ImageServiceClient(addr, credentials.createInsecure(), opts);
  }

  private call<Req, Res>(client: object, method: string, req: Req, timeoutMs = this.timeoutMs): Promise<Res> {
    const fn = (client as Record<string, Unary<Req, Res>>)[method]!;
    return new Promise<Res>((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutMs);
      (
        fn as unknown as (
          r: Req,
          m: unknown,
          o: unknown,
          cb: (e: ServiceError | null, r: Res) => void,
        ) => void
      ).call(client, req, new Metadata(), { deadline }, (err, res) =>
        err ? reject(new CriError(method, err.details || err.message, err.code)) : resolve(res),
      );
    });
  }

  version() {
    return this.call<object, import('./cri-api').VersionResponse>(this.rt, 'version', { version: 'v1' });
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const res = await this.call<object, { podSandboxId: string }>(this.rt, 'runPodSandbox', {
      config: PodSandboxConfigMsg.fromPartial(config),
      runtimeHandler,
    });
    return res.podSandboxId;
  }

  async stopPodSandbox(id: string) {
    await this.call(this.rt, 'stopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string) {
    await this.call(this.rt, 'removePodSandbox', { podSandboxId: id });
  }

  async podSandboxStatus(id: string, verbose = false) {
    const res = await this.call<
      object,
      { status?: import('./cri-api').PodSandboxStatus; info: Record<string, string> }
    >(this.rt, 'podSandboxStatus', { podSandboxId: id, verbose });
    if (!res.status) throw new CriError('podSandboxStatus', `no status for sandbox ${id}`, 5);
    return { status: res.status, info: res.info ?? {} };
  }

  async listPodSandbox(filter?: Partial<PodSandboxFilter>) {
    const res = await this.call<object, { items: import('./cri-api').PodSandbox[] }>(
      this.rt,
      'listPodSandbox',
      {
        filter: filter ? PodSandboxFilterMsg.fromPartial(filter) : undefined,
      },
    );
    return res.items ?? [];
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig) {
    const res = await this.call<object, { containerId: string }>(this.rt, 'createContainer', {
      podSandboxId,
      config: ContainerConfigMsg.fromPartial(config),
      sandboxConfig: PodSandboxConfigMsg.fromPartial(sandboxConfig),
    });
    return res.containerId;
  }

  async startContainer(id: string) {
    await this.call(this.rt, 'startContainer', { containerId: id });
  }

  async stopContainer(id: string, timeoutSeconds: number) {
    await this.call(
      this.rt,
      'stopContainer',
      { containerId: id, timeout: BigInt(timeoutSeconds) },
      this.timeoutMs + timeoutSeconds * 1000,
    );
  }

  async removeContainer(id: string) {
    await this.call(this.rt, 'removeContainer', { containerId: id });
  }

  async listContainers(filter?: Partial<ContainerFilter>) {
    const res = await this.call<object, { containers: import('./cri-api').Container[] }>(
      this.rt,
      'listContainers',
      {
        filter: filter ? ContainerFilterMsg.fromPartial(filter) : undefined,
      },
    );
    return res.containers ?? [];
  }

  async containerStatus(id: string) {
    const res = await this.call<object, { status?: import('./cri-api').ContainerStatus }>(
      this.rt,
      'containerStatus',
      {
        containerId: id,
        verbose: false,
      },
    );
    if (!res.status) throw new CriError('containerStatus', `no status for container ${id}`, 5);
    return res.status;
  }

  execSync(id: string, cmd: string[], timeoutSeconds: number) {
    const budget = timeoutSeconds > 0 ? timeoutSeconds * 1000 + 5000 : this.timeoutMs;
    return this.call<object, import('./cri-api').ExecSyncResponse>(
      this.rt,
      'execSync',
      { containerId: id, cmd, timeout: BigInt(timeoutSeconds) },
      budget,
    );
  }

  async exec(req: {
    containerId: string;
    cmd: string[];
    tty: boolean;
    stdin: boolean;
    stdout: boolean;
    stderr: boolean;
  }) {
    const res = await this.call<object, { url: string }>(this.rt, 'exec', req);
    return res.url;
  }

  async attach(req: { containerId: string; stdin: boolean; tty: boolean; stdout: boolean; stderr: boolean }) {
    const res = await this.call<object, { url: string }>(this.rt, 'attach', req);
    return res.url;
  }

  async portForward(podSandboxId: string, ports: number[]) {
    const res = await this.call<object, { url: string }>(this.rt, 'portForward', {
      podSandboxId,
      port: ports,
    });
    return res.url;
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    const res = await this.call<object, { image?: Image }>(this.img, 'imageStatus', {
      image: imageSpec(image),
      verbose: false,
    });
    return res.image && res.image.id ? res.image : undefined;
  }

  async pullImage(image: string, sandboxConfig?: PodSandboxConfig) {
    const res = await this.call<object, { imageRef: string }>(
      this.img,
      'pullImage',
      {
        image: imageSpec(image),
        sandboxConfig: sandboxConfig ? PodSandboxConfigMsg.fromPartial(sandboxConfig) : undefined,
      },
      600_000,
    );
    return res.imageRef;
  }

  close() {
    this.rt.close();
    this.img.close();
  }
}
