/**
 * The scheduler cache: nodes and the pods on them, including "assumed" pods whose binding is in
 * flight, so the next decision already sees them (kube-scheduler internal/cache). Assumed pods
 * expire if their binding is never confirmed within `assumeTtlMs`.
 */
import type { Node, Pod } from '@keelson/api';
import { NodeInfo, samePod } from '../framework/node-info';

const podKey = (p: Pod) => p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;

/** Options of {@link SchedulerCache}. */
export interface CacheOptions {
  /** How long an assumed pod stays without a confirming event, ms (default 30 000). */
  assumeTtlMs?: number;
  now?: () => number;
}

/** Nodes and placed pods, with assumed pods. */
export class SchedulerCache {
  private readonly nodes = new Map<string, Node>();
  /** pod key → { pod, node, assumedAt? } */
  private readonly pods = new Map<string, { pod: Pod; nodeName: string; assumedAt?: number }>();
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(opts: CacheOptions = {}) {
    this.ttl = opts.assumeTtlMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  addOrUpdateNode(node: Node): void {
    this.nodes.set(node.metadata.name ?? '', node);
  }

  removeNode(node: Node): void {
    this.nodes.delete(node.metadata.name ?? '');
  }

  /** Records a pod bound to a node (from the apiserver); confirms it if it was assumed. */
  addOrUpdatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return this.removePod(pod);
    if (isTerminal(pod)) return this.removePod(pod);
    this.pods.set(podKey(pod), { pod, nodeName });
  }

  /** Forgets a pod. */
  removePod(pod: Pod): void {
    this.pods.delete(podKey(pod));
  }

  /** Places a pod on a node before its binding is confirmed. */
  assumePod(pod: Pod, nodeName: string): void {
    const placed: Pod = { ...pod, spec: { ...pod.spec!, nodeName } };
    this.pods.set(podKey(pod), { pod: placed, nodeName, assumedAt: this.now() });
  }

  /** Undoes {@link assumePod} (binding failed). */
  forgetPod(pod: Pod): void {
    const e = this.pods.get(podKey(pod));
    if (e?.assumedAt !== undefined) this.pods.delete(podKey(pod));
  }

  /** True if the pod is assumed and not yet confirmed. */
  isAssumed(pod: Pod): boolean {
    return this.pods.get(podKey(pod))?.assumedAt !== undefined;
  }

  /**
   * A point-in-time view: one NodeInfo per node with its pods, assumed ones included (expired
   * assumptions dropped first). Callers may mutate the returned NodeInfos.
   */
  snapshot(): NodeInfo[] {
    const now = this.now();
    const infos = new Map<string, NodeInfo>();
    for (const [name, node] of this.nodes) infos.set(name, new NodeInfo(node));
    for (const [key, e] of this.pods) {
      if (e.assumedAt !== undefined && now - e.assumedAt > this.ttl) {
        this.pods.delete(key);
        continue;
      }
      infos.get(e.nodeName)?.addPod(e.pod);
    }
    return [...infos.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Number of nodes. */
  nodeCount(): number {
    return this.nodes.size;
  }

  /** Whether the pod is in the cache at all (bound or assumed). */
  has(pod: Pod): boolean {
    const e = this.pods.get(podKey(pod));
    return !!e && samePod(e.pod, pod);
  }
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
