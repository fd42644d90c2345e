/**
 * The Node object the kubelet registers and keeps current (upstream kubelet_node_status.go and
 * pkg/kubelet/nodestatus setters): capacity/allocatable, addresses, labels, nodeInfo, daemon
 * endpoints and the MemoryPressure/DiskPressure/PIDPressure/Ready conditions.
 */
import type { Node, NodeCondition, NodeStatus } from '@keelson/api';
import { parseQuantity } from '../util/quantity';
import { rfc3339 } from '../util/clock';
import type { MachineInfo } from './node-info';

/** The kubelet version reported in nodeInfo.kubeletVersion. */
export const KUBELET_VERSION = 'v1.32.0-keelson';

/** Options that shape the Node object. */
export interface NodeOptions {
  nodeName: string;
  nodeIp: string;
  hostname: string;
  podCidr?: string;
  /** Kubelet HTTP port (status.daemonEndpoints.kubeletEndpoint.Port). */
  port: number;
  /** Max pods (capacity.pods). Default 110. */
  maxPods: number;
  /** Extra labels (e.g. node-role.kubernetes.io/worker=""). */
  labels: Record<string, string>;
  /** Resources held back from pods (system-reserved + kube-reserved), e.g. { cpu: "100m", memory: "100Mi" }. */
  reserved: Record<string, string>;
  /** Hard eviction thresholds subtracted from allocatable: memory bytes (default 100Mi) and storage fraction (default 0.1). */
  evictionMemoryBytes?: number;
  evictionStorageFraction?: number;
  /** Taints to register with. */
  taints?: { key: string; value?: string; effect: string }[];
}

/** Runtime health as the Ready condition needs it. */
export interface RuntimeHealth {
  runtimeName: string;
  runtimeVersion: string;
  /** Empty when healthy; otherwise why the node is not ready. */
  notReadyReason: string;
}

const MI = 1024 * 1024;

function ki(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

/** capacity and allocatable of the node. */
export function nodeResources(
  m: MachineInfo,
  o: NodeOptions,
): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const capacity: Record<string, string> = {
    cpu: String(m.cpus),
    'ephemeral-storage': ki(m.fsCapacityBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: ki(m.memoryBytes),
    pods: String(o.maxPods),
  };
  const resMilli = o.reserved.cpu ? Math.ceil(parseQuantity(o.reserved.cpu) * 1000) : 0;
  const resMem = o.reserved.memory ? parseQuantity(o.reserved.memory) : 0;
  const resStorage = o.reserved['ephemeral-storage'] ? parseQuantity(o.reserved['ephemeral-storage']) : 0;
  const cpuMilli = Math.max(0, m.cpus * 1000 - resMilli);
  const memBytes = Math.max(0, m.memoryBytes - resMem - (o.evictionMemoryBytes ?? 100 * MI));
  const storage = Math.max(
    0,
    Math.floor(m.fsCapacityBytes * (1 - (o.evictionStorageFraction ?? 0.1))) - resStorage,
  );
  return {
    capacity,
    allocatable: {
      cpu: cpuMilli % 1000 === 0 ? String(cpuMilli / 1000) : `${cpuMilli}m`,
      'ephemeral-storage': String(storage),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: ki(memBytes),
      pods: String(o.maxPods),
    },
  };
}

/** The labels the kubelet sets on its Node (well-known labels) plus `o.labels`. */
export function nodeLabels(m: MachineInfo, o: NodeOptions): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': m.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': m.architecture,
    'kubernetes.io/hostname': o.nodeName,
    'kubernetes.io/os': 'linux',
    ...o.labels,
  };
}

/**
 * The four kubelet-owned conditions, keeping lastTransitionTime from `old` when the status did
 * not change; lastHeartbeatTime = now.
 */
export function nodeConditions(
  m: MachineInfo,
  h: RuntimeHealth,
  now: number,
  old: NodeCondition[] = [],
  evictionMemoryBytes = 100 * MI,
): NodeCondition[] {
  const memPressure = m.memoryAvailableBytes > 0 && m.memoryAvailableBytes < evictionMemoryBytes;
  const diskPressure = m.fsCapacityBytes > 0 && m.fsAvailableBytes / m.fsCapacityBytes < 0.1;
  const list: Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>[] = [
    memPressure
      ? {
          type: 'MemoryPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientMemory',
          message: 'kubelet has insufficient memory available',
        }
      : {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
    diskPressure
      ? {
          type: 'DiskPressure',
          status: 'True',
          reason: 'KubeletHasDiskPressure',
          message: 'kubelet has disk pressure',
        }
      : {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
        },
    {
      type: 'PIDPressure',
      status: 'False',
      reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available',
    },
    h.notReadyReason
      ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: h.notReadyReason }
      : { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
  const t = rfc3339(now);
  return list.map((c) => {
    const prev = old.find((x) => x.type === c.type);
    return {
      ...c,
      lastHeartbeatTime: t,
      lastTransitionTime:
        prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : t,
    };
  });
}

/** The full NodeStatus. */
export function nodeStatus(
  m: MachineInfo,
  o: NodeOptions,
  h: RuntimeHealth,
  now: number,
  old?: NodeStatus,
): NodeStatus {
  const { capacity, allocatable } = nodeResources(m, o);
  return {
    capacity,
    allocatable,
    conditions: nodeConditions(m, h, now, old?.conditions, o.evictionMemoryBytes),
    addresses: [
      { type: 'InternalIP', address: o.nodeIp },
      { type: 'Hostname', address: o.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: o.port } },
    nodeInfo: {
      machineID: m.machineID,
      systemUUID: m.systemUUID,
      bootID: m.bootID,
      kernelVersion: m.kernelVersion,
      osImage: m.osImage,
      containerRuntimeVersion: `${h.runtimeName}://${h.runtimeVersion}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: m.architecture,
    },
    ...(old?.images ? { images: old.images } : {}),
  };
}

/** The Node object to register. */
export function initialNode(m: MachineInfo, o: NodeOptions, h: RuntimeHealth, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.nodeName,
      labels: nodeLabels(m, o),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      ...(o.podCidr ? { podCIDR: o.podCidr, podCIDRs: [o.podCidr] } : {}),
      ...(o.taints?.length ? { taints: o.taints } : {}),
    },
    status: nodeStatus(m, o, h, now),
  };
}

/** True when two statuses differ in anything but heartbeat times. */
export function nodeStatusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined) =>
    JSON.stringify({
      ...s,
      conditions: (s?.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })),
    });
  return strip(a) !== strip(b);
}
