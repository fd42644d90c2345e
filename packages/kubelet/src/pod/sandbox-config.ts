/**
 * Pod → CRI PodSandboxConfig and Container → CRI ContainerConfig (upstream
 * kuberuntime_sandbox.go generatePodSandboxConfig and kuberuntime_container.go
 * generateContainerConfig). Pure: paths and resolved values come in as arguments.
 */
import type { Container, Pod } from '@keelson/api';
import {
  NamespaceMode,
  Protocol,
  type ContainerConfig,
  type Mount,
  type PodSandboxConfig,
} from '../cri/cri-api';
import { imageSpec } from '../cri/runtime';
import type { ResolvConf } from './dns';
import { podHostname } from './dns';
import {
  CONTAINER_HASH_ANNOTATION,
  INIT_CONTAINER_ANNOTATION,
  RESTART_COUNT_ANNOTATION,
  TERMINATION_GRACE_ANNOTATION,
  containerHash,
  containerLabels,
  sandboxLabels,
} from './labels';
import { linuxResources } from './resources';

/** The pod's log directory name under the logs root: "<namespace>_<name>_<uid>" (as /var/log/pods). */
export function podLogDirName(pod: Pod): string {
  return `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`;
}

/** A container's log path relative to the pod log directory: "<container>/<restartCount>.log". */
export function containerLogPath(name: string, restartCount: number): string {
  return `${name}/${restartCount}.log`;
}

function protocolOf(p?: string): Protocol {
  return p === 'UDP' ? Protocol.UDP : p === 'SCTP' ? Protocol.SCTP : Protocol.TCP;
}

/** Builds the PodSandboxConfig: metadata, hostname, log directory, DNS, host ports, labels, namespaces. */
export function podSandboxConfig(
  pod: Pod,
  attempt: number,
  logDirectory: string,
  dns: ResolvConf,
  cgroupParent = '',
): PodSandboxConfig {
  const spec = pod.spec!;
  const ports = [...(spec.initContainers ?? []), ...spec.containers].flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => p.hostPort)
      .map((p) => ({
        protocol: protocolOf(p.protocol),
        containerPort: p.containerPort,
        hostPort: p.hostPort!,
        hostIp: p.hostIP ?? '',
      })),
  );
  const hostNet = spec.hostNetwork === true;
  return {
    metadata: {
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      namespace: pod.metadata.namespace ?? '',
      attempt,
    },
    hostname: hostNet ? '' : podHostname(pod),
    logDirectory,
    dnsConfig: { servers: dns.nameservers, searches: dns.searches, options: dns.options },
    portMappings: ports,
    labels: sandboxLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroupParent,
      securityContext: {
        namespaceOptions: {
          network: hostNet ? NamespaceMode.NODE : NamespaceMode.POD,
          pid: spec.hostPID
            ? NamespaceMode.NODE
            : spec.shareProcessNamespace
              ? NamespaceMode.POD
              : NamespaceMode.CONTAINER,
          ipc: spec.hostIPC ? NamespaceMode.NODE : NamespaceMode.POD,
          targetId: '',
          usernsOptions: undefined,
        },
        selinuxOptions: undefined,
        runAsUser:
          spec.securityContext?.runAsUser !== undefined
            ? { value: BigInt(spec.securityContext.runAsUser) }
            : undefined,
        runAsGroup:
          spec.securityContext?.runAsGroup !== undefined
            ? { value: BigInt(spec.securityContext.runAsGroup) }
            : undefined,
        readonlyRootfs: false,
        supplementalGroups: (spec.securityContext?.supplementalGroups ?? []).map(BigInt),
        supplementalGroupsPolicy: 0,
        privileged: false,
        seccomp: undefined,
        apparmor: undefined,
        seccompProfilePath: '',
      },
      sysctls: Object.fromEntries((spec.securityContext?.sysctls ?? []).map((s) => [s.name, s.value])),
      overhead: undefined,
      resources: undefined,
    },
    windows: undefined,
  };
}

/** Inputs of {@link containerConfig} that come from I/O (env, mounts). */
export interface ContainerRuntimeInputs {
  restartCount: number;
  init: boolean;
  env: { name: string; value: string }[];
  command: string[];
  args: string[];
  mounts: Mount[];
}

/** Builds the ContainerConfig for one container attempt. */
export function containerConfig(pod: Pod, c: Container, inp: ContainerRuntimeInputs): ContainerConfig {
  const sc = c.securityContext;
  return {
    metadata: { name: c.name, attempt: inp.restartCount },
    image: imageSpec(c.image ?? ''),
    command: inp.command,
    args: inp.args,
    workingDir: c.workingDir ?? '',
    envs: inp.env.map((e) => ({ key: e.name, value: Buffer.from(e.value, 'utf8') })),
    mounts: inp.mounts,
    devices: [],
    labels: containerLabels(pod, c.name),
    annotations: {
      [CONTAINER_HASH_ANNOTATION]: containerHash(c),
      [RESTART_COUNT_ANNOTATION]: String(inp.restartCount),
      [TERMINATION_GRACE_ANNOTATION]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
      ...(inp.init ? { [INIT_CONTAINER_ANNOTATION]: 'true' } : {}),
    },
    logPath: containerLogPath(c.name, inp.restartCount),
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: linuxResources(c),
      securityContext: {
        capabilities: sc?.capabilities
          ? {
              addCapabilities: sc.capabilities.add ?? [],
              dropCapabilities: sc.capabilities.drop ?? [],
              addAmbientCapabilities: [],
            }
          : undefined,
        privileged: sc?.privileged ?? false,
        namespaceOptions: undefined,
        selinuxOptions: undefined,
        runAsUser:
          sc?.runAsUser !== undefined
            ? { value: BigInt(sc.runAsUser) }
            : pod.spec?.securityContext?.runAsUser !== undefined
              ? { value: BigInt(pod.spec.securityContext.runAsUser) }
              : undefined,
        runAsGroup: sc?.runAsGroup !== undefined ? { value: BigInt(sc.runAsGroup) } : undefined,
        runAsUsername: '',
        readonlyRootfs: sc?.readOnlyRootFilesystem ?? false,
        supplementalGroups: (pod.spec?.securityContext?.supplementalGroups ?? []).map(BigInt),
        supplementalGroupsPolicy: 0,
        noNewPrivs: sc?.allowPrivilegeEscalation === false,
        maskedPaths: [],
        readonlyPaths: [],
        seccomp: undefined,
        apparmor: undefined,
        apparmorProfile: '',
        seccompProfilePath: '',
      },
    },
    windows: undefined,
    CDIDevices: [],
    stopSignal: 0,
  };
}

/** A bind mount of a host path into the container. */
export function bindMount(hostPath: string, containerPath: string, readonly = false): Mount {
  return {
    containerPath,
    hostPath,
    readonly,
    selinuxRelabel: false,
    propagation: 0,
    uidMappings: [],
    gidMappings: [],
    recursiveReadOnly: false,
    image: undefined,
    imageSubPath: '',
    mountOptions: [],
  };
}
