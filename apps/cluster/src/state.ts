/**
 * state.json: what `keelson up` started, read by status/down/logs. Written atomically.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One node of a local cluster. */
export interface NodeState {
  name: string;
  /** Network namespace (multi-node) or undefined for the host's. */
  netns?: string;
  /** Node address: the bridge gateway (host mode) or the node's address on the host bridge. */
  ip: string;
  podCIDR: string;
  /** Bridge pods of this node attach to. */
  bridge: string;
  pid?: number;
  /** Set by `keelson node stop`: the supervisor does not restart the node until `node start`. */
  stopped?: boolean;
}

/** One component's health/metrics endpoints (see endpoints.ts), as `keelson status` probes them. */
export interface ComponentEndpoint {
  /** "apiserver", "scheduler", "controller-manager", "dns", "kubelet", "proxy" or "runtime". */
  name: string;
  /** The node, for node agents. */
  node?: string;
  /** Base URL of /healthz (and /version); for the runtime its CRI socket ("unix:///..."). */
  healthUrl: string;
  /** Base URL of /metrics, when it has one. */
  metricsUrl?: string;
  /** PID of its own process (`--split`); otherwise it runs in the supervisor or the node's process. */
  pid?: number;
}

/** One keelson-store Raft member (`keelson up --store-replicas N`, N > 1). */
export interface StoreMemberState {
  /** Raft member name (m1, m2, ...). */
  name: string;
  /** Its gRPC address (KV, Watch and RaftPeer), a loopback HOST:PORT. */
  address: string;
  /** Its data dir, `<data-dir>/store/<name>`. */
  dataDir: string;
  pid?: number;
}

/** The whole cluster's state. */
export interface ClusterState {
  /** Short unique id of this cluster (names of nft tables, bridges). */
  id: string;
  dataDir: string;
  supervisorPid?: number;
  apiserver: { url: string; grpcAddress: string };
  dnsAddress: string;
  clusterCIDR: string;
  serviceCIDR: string;
  proxyMode: 'nftables' | 'iptables';
  /** Every component in its own process (`keelson up --split`). */
  split?: boolean;
  nodes: NodeState[];
  /** Container runtime of every node (`--runtime`); absent means keelson (keelson-cri). */
  runtime?: 'keelson' | 'containerd';
  /** Replicated store members (`--store-replicas N`, N > 1); absent for the single store. */
  store?: { members: StoreMemberState[] };
  /** ISO time the cluster came up. */
  startedAt: string;
  /** Health and metrics endpoints of every component. */
  endpoints?: ComponentEndpoint[];
}

/** Reads state.json, or undefined when the cluster is not up. */
export function readState(path: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Writes state.json atomically (write + rename). */
export function writeState(path: string, state: ClusterState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${path}.tmp`, path);
}

/**
 * Read-modify-write of state.json (the supervisor and `keelson node` both change it).
 * @returns the written state, or undefined when there is none
 */
export function updateState(path: string, change: (s: ClusterState) => void): ClusterState | undefined {
  const s = readState(path);
  if (!s) return undefined;
  change(s);
  writeState(path, s);
  return s;
}

/** True if a process with this PID exists (signal 0); false for undefined. */
export function isAlive(pid?: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
