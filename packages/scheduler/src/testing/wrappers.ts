/**
 * Test builders that read like sentences, after kube-scheduler's testing/wrappers.go:
 * `makePod('p').req({ cpu: '500m' }).toleration(...).obj()`, `makeNode('n1').capacity(...).obj()`.
 * Exported for out-of-tree plugin tests and simulators.
 */
import type {
  Node,
  NodeSelectorRequirement,
  Pod,
  PodAffinityTerm,
  Taint,
  Toleration,
  TopologySpreadConstraint,
} from '@keelson/api';

let uid = 0;

/** Builds a Pod. */
export class PodWrapper {
  private readonly pod: Pod;
  constructor(name: string, namespace = 'default') {
    this.pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, uid: `uid-${name}-${++uid}`, labels: {} },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    };
  }
  uid(u: string) {
    this.pod.metadata.uid = u;
    return this;
  }
  label(k: string, v: string) {
    this.pod.metadata.labels![k] = v;
    return this;
  }
  node(n: string) {
    this.pod.spec!.nodeName = n;
    return this;
  }
  priority(p: number) {
    this.pod.spec!.priority = p;
    return this;
  }
  schedulerName(s: string) {
    this.pod.spec!.schedulerName = s;
    return this;
  }
  /** Adds a container with these requests (cpu as "500m", memory as "1Gi", ...). */
  req(requests: Record<string, string>) {
    const c = this.pod.spec!.containers;
    if (c.length === 1 && !c[0].resources) c[0].resources = { requests };
    else c.push({ name: `c${c.length}`, image: 'busybox', resources: { requests } });
    return this;
  }
  initReq(requests: Record<string, string>) {
    (this.pod.spec!.initContainers ??= []).push({
      name: `init${this.pod.spec!.initContainers?.length ?? 0}`,
      image: 'busybox',
      resources: { requests },
    });
    return this;
  }
  hostPort(port: number, protocol = 'TCP') {
    (this.pod.spec!.containers[0].ports ??= []).push({ containerPort: port, hostPort: port, protocol });
    return this;
  }
  image(image: string) {
    this.pod.spec!.containers[0].image = image;
    return this;
  }
  toleration(t: Toleration) {
    (this.pod.spec!.tolerations ??= []).push(t);
    return this;
  }
  nodeSelector(sel: Record<string, string>) {
    this.pod.spec!.nodeSelector = sel;
    return this;
  }
  nodeAffinityIn(key: string, values: string[], operator: NodeSelectorRequirement['operator'] = 'In') {
    const aff = ((this.pod.spec!.affinity ??= {}).nodeAffinity ??= {});
    (aff.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] }).nodeSelectorTerms.push(
      {
        matchExpressions: [{ key, operator, values }],
      },
    );
    return this;
  }
  preferredNodeAffinity(weight: number, key: string, values: string[]) {
    const aff = ((this.pod.spec!.affinity ??= {}).nodeAffinity ??= {});
    (aff.preferredDuringSchedulingIgnoredDuringExecution ??= []).push({
      weight,
      preference: { matchExpressions: [{ key, operator: 'In', values }] },
    });
    return this;
  }
  podAffinity(term: PodAffinityTerm) {
    ((this.pod.spec!.affinity ??= {}).podAffinity ??= {}).requiredDuringSchedulingIgnoredDuringExecution = [
      ...(this.pod.spec!.affinity!.podAffinity!.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      term,
    ];
    return this;
  }
  podAntiAffinity(term: PodAffinityTerm) {
    ((this.pod.spec!.affinity ??= {}).podAntiAffinity ??= {}).requiredDuringSchedulingIgnoredDuringExecution =
      [
        ...(this.pod.spec!.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        term,
      ];
    return this;
  }
  spread(c: TopologySpreadConstraint) {
    (this.pod.spec!.topologySpreadConstraints ??= []).push(c);
    return this;
  }
  obj(): Pod {
    return structuredClone(this.pod);
  }
}

/** Builds a Node. */
export class NodeWrapper {
  private readonly node: Node;
  constructor(name: string) {
    this.node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
      spec: {},
      status: {
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      },
    };
  }
  /** Sets allocatable (and capacity) e.g. { cpu: '2', memory: '4Gi', pods: '10' }. */
  capacity(c: Record<string, string>) {
    this.node.status!.allocatable = { ...c };
    this.node.status!.capacity = { ...c };
    return this;
  }
  label(k: string, v: string) {
    this.node.metadata.labels![k] = v;
    return this;
  }
  taint(t: Taint) {
    (this.node.spec!.taints ??= []).push(t);
    return this;
  }
  unschedulable() {
    this.node.spec!.unschedulable = true;
    return this;
  }
  image(name: string, sizeBytes: number) {
    (this.node.status!.images ??= []).push({ names: [name], sizeBytes });
    return this;
  }
  obj(): Node {
    return structuredClone(this.node);
  }
}

export const makePod = (name: string, namespace?: string) => new PodWrapper(name, namespace);
export const makeNode = (name: string) => new NodeWrapper(name);
