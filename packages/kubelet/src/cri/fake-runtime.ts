/**
 * An in-memory CriRuntime for unit tests: sandboxes and containers are records whose state the
 * test drives (exitContainer, setExecHandler). No processes are started.
 */
import {
  ContainerState,
  PodSandboxState,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerStatus,
  type ExecSyncResponse,
  type Image,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
} from './cri-api';
import { CriError } from '../errors';
import { realClock, type Clock } from '../util/clock';
import { imageSpec, type CriRuntime } from './runtime';

interface FakeSandbox {
  status: PodSandboxStatus;
  config: PodSandboxConfig;
}

interface FakeContainer {
  status: ContainerStatus;
  sandboxId: string;
  config: ContainerConfig;
}

/** Every call the fake received, in order, as "method arg" strings (for assertions). */
export type FakeCall = string;

/** In-memory {@link CriRuntime}. */
export class FakeCriRuntime implements CriRuntime {
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Set<string>();
  readonly calls: FakeCall[] = [];
  /** IP reported in PodSandboxStatus.network.ip (like containerd); "" means the kubelet does CNI. */
  sandboxIp = '';
  /** Images that fail to pull. */
  readonly badImages = new Set<string>();
  /** When set, started containers exit at once with this code. */
  private execHandler: (id: string, cmd: string[]) => ExecSyncResponse = () => ({
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    exitCode: 0,
  });
  private portForwardHandler?: (podSandboxId: string, ports: number[]) => string | Promise<string>;
  private n = 0;

  constructor(private readonly clock: Clock = realClock) {}

  private ns(): bigint {
    return BigInt(this.clock.now()) * 1_000_000n;
  }

  /** Makes ExecSync answer with `fn`. */
  setExecHandler(fn: (id: string, cmd: string[]) => ExecSyncResponse) {
    this.execHandler = fn;
  }

  /** Simulates the container's process exiting with `code` (reason as the runtime reports it). */
  exitContainer(id: string, code: number, reason = code === 0 ? 'Completed' : 'Error') {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    c.status.state = ContainerState.CONTAINER_EXITED;
    c.status.exitCode = code;
    c.status.reason = reason;
    c.status.finishedAt = this.ns();
  }

  /** Containers of the given name (newest last). */
  containersNamed(name: string) {
    return [...this.containers.values()].filter((c) => c.status.metadata?.name === name);
  }

  async version() {
    this.calls.push('version');
    return { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '0.0.1', runtimeApiVersion: 'v1' };
  }

  async runPodSandbox(config: PodSandboxConfig) {
    const id = `sb${++this.n}`;
    this.calls.push(`runPodSandbox ${config.metadata?.name}`);
    this.sandboxes.set(id, {
      config,
      status: {
        id,
        metadata: config.metadata,
        state: PodSandboxState.SANDBOX_READY,
        createdAt: this.ns(),
        network: { ip: this.sandboxIp, additionalIps: [] },
        linux: undefined,
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        runtimeHandler: '',
      },
    });
    return id;
  }

  async stopPodSandbox(id: string) {
    this.calls.push(`stopPodSandbox ${id}`);
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    sb.status.state = PodSandboxState.SANDBOX_NOTREADY;
    for (const c of this.containers.values()) {
      if (c.sandboxId === id && c.status.state === ContainerState.CONTAINER_RUNNING)
        this.exitContainer(c.status.id, 137, 'Error');
    }
  }

  async removePodSandbox(id: string) {
    this.calls.push(`removePodSandbox ${id}`);
    this.sandboxes.delete(id);
    for (const [cid, c] of this.containers) if (c.sandboxId === id) this.containers.delete(cid);
  }

  async podSandboxStatus(id: string) {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new CriError('podSandboxStatus', `sandbox ${id} not found`, 5);
    return { status: structuredClone(sb.status), info: { netnsPath: `/var/run/netns/fake-${id}` } };
  }

  async listPodSandbox(filter?: Partial<PodSandboxFilter>): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()]
      .filter((s) => !filter?.id || s.status.id === filter.id)
      .filter((s) => filter?.state === undefined || s.status.state === filter.state.state)
      .filter((s) => Object.entries(filter?.labelSelector ?? {}).every(([k, v]) => s.status.labels[k] === v))
      .map((s) => ({
        id: s.status.id,
        metadata: s.status.metadata,
        state: s.status.state,
        createdAt: s.status.createdAt,
        labels: s.status.labels,
        annotations: s.status.annotations,
        runtimeHandler: '',
      }));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, _sandboxConfig?: PodSandboxConfig) {
    if (!this.sandboxes.has(podSandboxId))
      throw new CriError('createContainer', `sandbox ${podSandboxId} not found`, 5);
    const id = `c${++this.n}`;
    this.calls.push(`createContainer ${config.metadata?.name} ${config.metadata?.attempt}`);
    this.containers.set(id, {
      sandboxId: podSandboxId,
      config,
      status: {
        id,
        metadata: config.metadata,
        state: ContainerState.CONTAINER_CREATED,
        createdAt: this.ns(),
        startedAt: 0n,
        finishedAt: 0n,
        exitCode: 0,
        image: config.image,
        imageRef: `sha256:${config.image?.image}`,
        reason: '',
        message: '',
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        mounts: config.mounts,
        logPath: config.logPath,
        resources: undefined,
        imageId: `sha256:${config.image?.image}`,
        user: undefined,
        stopSignal: 0,
      },
    });
    return id;
  }

  async startContainer(id: string) {
    this.calls.push(`startContainer ${this.containers.get(id)?.status.metadata?.name}`);
    const c = this.containers.get(id);
    if (!c) throw new CriError('startContainer', `container ${id} not found`, 5);
    c.status.state = ContainerState.CONTAINER_RUNNING;
    c.status.startedAt = this.ns();
  }

  async stopContainer(id: string, timeout: number) {
    this.calls.push(`stopContainer ${this.containers.get(id)?.status.metadata?.name} ${timeout}`);
    const c = this.containers.get(id);
    if (c && c.status.state === ContainerState.CONTAINER_RUNNING) this.exitContainer(id, 137, 'Error');
  }

  async removeContainer(id: string) {
    this.calls.push(`removeContainer ${this.containers.get(id)?.status.metadata?.name}`);
    this.containers.delete(id);
  }

  async listContainers(filter?: Partial<ContainerFilter>): Promise<Container[]> {
    return [...this.containers.values()]
      .filter((c) => !filter?.id || c.status.id === filter.id)
      .filter((c) => !filter?.podSandboxId || c.sandboxId === filter.podSandboxId)
      .filter((c) => filter?.state === undefined || c.status.state === filter.state.state)
      .filter((c) => Object.entries(filter?.labelSelector ?? {}).every(([k, v]) => c.status.labels[k] === v))
      .map((c) => ({
        id: c.status.id,
        podSandboxId: c.sandboxId,
        metadata: c.status.metadata,
        image: c.status.image,
        imageRef: c.status.imageRef,
        state: c.status.state,
        createdAt: c.status.createdAt,
        labels: c.status.labels,
        annotations: c.status.annotations,
        imageId: c.status.imageId,
      }));
  }

  async containerStatus(id: string) {
    const c = this.containers.get(id);
    if (!c) throw new CriError('containerStatus', `container ${id} not found`, 5);
    return structuredClone(c.status);
  }

  async execSync(id: string, cmd: string[]) {
    this.calls.push(`execSync ${cmd.join(' ')}`);
    if (!this.containers.has(id)) throw new CriError('execSync', `container ${id} not found`, 5);
    return this.execHandler(id, cmd);
  }

  async exec(): Promise<string> {
    throw new CriError('exec', 'not implemented by the fake', 12);
  }

  async attach(): Promise<string> {
    throw new CriError('attach', 'not implemented by the fake', 12);
  }

  /** Answers PortForward with `fn` (a streaming URL); unset: UNIMPLEMENTED. */
  setPortForwardHandler(fn: (podSandboxId: string, ports: number[]) => string | Promise<string>) {
    this.portForwardHandler = fn;
  }

  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    this.calls.push(`portForward ${podSandboxId} ${ports.join(',')}`);
    if (!this.sandboxes.has(podSandboxId))
      throw new CriError('portForward', `pod sandbox ${podSandboxId} not found`, 5);
    if (!this.portForwardHandler) throw new CriError('portForward', 'not implemented by the fake', 12);
    return this.portForwardHandler(podSandboxId, ports);
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    if (!this.images.has(image)) return undefined;
    return {
      id: `sha256:${image}`,
      repoTags: [image],
      repoDigests: [],
      size: 1n,
      username: '',
      spec: imageSpec(image),
      pinned: false,
    };
  }

  async pullImage(image: string) {
    this.calls.push(`pullImage ${image}`);
    if (this.badImages.has(image)) throw new CriError('pullImage', `image ${image} not found`, 5);
    this.images.add(image);
    return `sha256:${image}`;
  }

  close() {}
}
