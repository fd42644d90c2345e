/**
 * The narrow CRI surface the kubelet uses (CRI runtime.v1 RuntimeService + ImageService), as
 * promise-returning methods over the generated message types. The gRPC implementation lives in
 * grpc-runtime.ts; an in-memory fake in fake-runtime.ts.
 */
import type {
  ContainerConfig,
  ContainerFilter,
  Container,
  ContainerStatus,
  ExecSyncResponse,
  Image,
  ImageSpec,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  VersionResponse,
} from './cri-api';

/**
 * CRI runtime.v1 as the kubelet needs it. Every method rejects with {@link CriError} on failure
 * (code 5 NOT_FOUND for unknown ids). Timestamps in results are nanoseconds since the epoch.
 */
export interface CriRuntime {
  /** RuntimeService.Version. */
  version(): Promise<VersionResponse>;
  /** RuntimeService.RunPodSandbox: creates and starts the sandbox; resolves with its id. */
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  /** RuntimeService.StopPodSandbox: stops every container and the sandbox (idempotent). */
  stopPodSandbox(id: string): Promise<void>;
  /** RuntimeService.RemovePodSandbox: removes the sandbox and its containers (idempotent). */
  removePodSandbox(id: string): Promise<void>;
  /** RuntimeService.PodSandboxStatus; `info` carries verbose runtime data (e.g. the netns path). */
  podSandboxStatus(
    id: string,
    verbose?: boolean,
  ): Promise<{ status: PodSandboxStatus; info: Record<string, string> }>;
  /** RuntimeService.ListPodSandbox. */
  listPodSandbox(filter?: Partial<PodSandboxFilter>): Promise<PodSandbox[]>;
  /** RuntimeService.CreateContainer; resolves with the container id. */
  createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string>;
  /** RuntimeService.StartContainer. */
  startContainer(id: string): Promise<void>;
  /** RuntimeService.StopContainer: SIGTERM (or the image's stop signal), SIGKILL after `timeoutSeconds`. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** RuntimeService.RemoveContainer (idempotent). */
  removeContainer(id: string): Promise<void>;
  /** RuntimeService.ListContainers. */
  listContainers(filter?: Partial<ContainerFilter>): Promise<Container[]>;
  /** RuntimeService.ContainerStatus. */
  containerStatus(id: string): Promise<ContainerStatus>;
  /** RuntimeService.ExecSync: runs `cmd` in the container; `timeoutSeconds` 0 means none. */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse>;
  /** RuntimeService.Exec: resolves with the runtime's streaming URL for the session. */
  exec(req: {
    containerId: string;
    cmd: string[];
    tty: boolean;
    stdin: boolean;
    stdout: boolean;
    stderr: boolean;
  }): Promise<string>;
  /** RuntimeService.Attach: resolves with the runtime's streaming URL for attaching to the container's main process. */
  attach(req: {
    containerId: string;
    stdin: boolean;
    tty: boolean;
    stdout: boolean;
    stderr: boolean;
  }): Promise<string>;
  /**
   * RuntimeService.PortForward: resolves with the runtime's streaming URL forwarding `ports` of
   * the pod sandbox's network namespace (opened as a WebSocket, channel framing
   * `v4.channel.k8s.io`: channel 2i data and 2i+1 errors of the i-th port).
   */
  portForward(podSandboxId: string, ports: number[]): Promise<string>;
  /** ImageService.ImageStatus: the image, or undefined when not present. */
  imageStatus(image: string): Promise<Image | undefined>;
  /** ImageService.PullImage: resolves with the image reference (id/digest). */
  pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string>;
  /** Closes the connection. */
  close(): void;
}

/** Builds an ImageSpec for a user-specified image name. */
export function imageSpec(image: string): ImageSpec {
  return { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '', imageRef: '' };
}
