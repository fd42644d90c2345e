/**
 * NodeInfo: a node plus the pods placed on it and their summed requests — what every Filter
 * and Score plugin reads (kube-scheduler framework/types.go NodeInfo).
 */
import type { Node, Pod } from '@keelson/api';
import {
  addInto,
  nodeAllocatable,
  podRequests,
  podRequestsForScoring,
  zeroResources,
  type Resources,
} from './resources';

/** A host port in use: protocol/ip/port. */
export interface HostPort {
  protocol: string;
  ip: string;
  port: number;
}

/** One pod with its precomputed requests. */
export interface PodInfo {
  pod: Pod;
  requests: Resources;
}

/** A node's scheduling view. Mutable only through addPod/removePod. */
export class NodeInfo {
  readonly pods: PodInfo[] = [];
  /** Sum of the pods' requests. */
  readonly requested: Resources = zeroResources();
  /** Sum of the pods' requests with scoring defaults for unset cpu/memory. */
  readonly nonZeroRequested: Resources = zeroResources();
  readonly usedPorts: HostPort[] = [];
  /** Pods with required pod anti-affinity terms (what InterPodAffinity must check against every new pod). */
  readonly podsWithRequiredAntiAffinity: Pod[] = [];
  /** Pods with any pod affinity or anti-affinity (for scoring). */
  readonly podsWithAffinity: Pod[] = [];
  readonly allocatable: Resources;
  readonly allowedPodNumber: number;

  constructor(readonly node: Node) {
    const a = nodeAllocatable(node);
    this.allocatable = a.resources;
    this.allowedPodNumber = a.pods;
  }

  get name(): string {
    return this.node.metadata.name ?? '';
  }

  /** Adds a pod (bound or assumed) to this node. */
  addPod(pod: Pod): void {
    const requests = podRequests(pod);
    this.pods.push({ pod, requests });
    addInto(this.requested, requests);
    addInto(this.nonZeroRequested, podRequestsForScoring(pod));
    for (const p of hostPorts(pod)) this.usedPorts.push(p);
    const aff = pod.spec?.affinity;
    if (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length)
      this.podsWithRequiredAntiAffinity.push(pod);
    if (aff?.podAffinity || aff?.podAntiAffinity) this.podsWithAffinity.push(pod);
  }

  /** Removes a pod by uid (or namespace/name). Returns false if it was not here. */
  removePod(pod: Pod): boolean {
    const i = this.pods.findIndex((p) => samePod(p.pod, pod));
    if (i < 0) return false;
    const [removed] = this.pods.splice(i, 1);
    sub(this.requested, removed.requests);
    sub(this.nonZeroRequested, podRequestsForScoring(removed.pod));
    for (const list of [this.podsWithRequiredAntiAffinity, this.podsWithAffinity]) {
      const k = list.findIndex((p) => samePod(p, pod));
      if (k >= 0) list.splice(k, 1);
    }
    for (const p of hostPorts(removed.pod)) {
      const j = this.usedPorts.findIndex(
        (u) => u.port === p.port && u.protocol === p.protocol && u.ip === p.ip,
      );
      if (j >= 0) this.usedPorts.splice(j, 1);
    }
    return true;
  }

  /** A copy that can be changed without touching this one (for preemption what-ifs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.node);
    for (const p of this.pods) c.addPod(p.pod);
    return c;
  }
}

/** The host ports a pod asks for (containers' ports with hostPort set). */
export function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort)
        out.push({ protocol: p.protocol ?? 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

/** Same pod: same uid when both have one, else same namespace/name. */
export function samePod(a: Pod, b: Pod): boolean {
  if (a.metadata.uid && b.metadata.uid) return a.metadata.uid === b.metadata.uid;
  return a.metadata.namespace === b.metadata.namespace && a.metadata.name === b.metadata.name;
}

function sub(a: Resources, b: Resources): void {
  a.milliCPU -= b.milliCPU;
  a.memory -= b.memory;
  a.ephemeralStorage -= b.ephemeralStorage;
  for (const [k, v] of Object.entries(b.scalar)) a.scalar[k] = (a.scalar[k] ?? 0) - v;
}
