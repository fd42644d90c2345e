/**
 * The scheduler cache: nodes and the pods on them, including "assumed" pods whose binding is in
 * flight, so the next decision already sees them (kube-scheduler internal/cache). NodeInfos are
 * kept up to date incrementally, so a snapshot costs nothing per pod; assumed pods expire if their
 * binding is never confirmed within `assumeTtlMs`.
 */
import type { Node, Pod } from '@keelson/api';
import { NodeInfo } from '../framework/node-info';

const podKey = (p: Pod) => p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;

/** Options of {@link SchedulerCache}. */
export interface CacheOptions {
  /** How long an assumed pod stays without a confirming event, ms (default 30 000). */
  assumeTtlMs?: number;
  now?: () => number;
}

interface PodEntry {
  pod: Pod;
  nodeName: string;
  assumedAt?: number;
}

/** Nodes and placed pods, with assumed pods. */
export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodEntry>();
  private readonly assumed = new Set<string>();
  private sorted?: NodeInfo[];
  private readonly ttl: number;
  private readonly now: () => number;

  constructor(opts: CacheOptions = {}) {
    this.ttl = opts.assumeTtlMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** Adds a node or replaces its object, keeping the pods placed on it. */
  addOrUpdateNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const info = new NodeInfo(node);
    const old = this.infos.get(name);
    if (old) for (const p of old.pods) info.addPod(p.pod);
    else for (const e of this.pods.values()) if (e.nodeName === name) info.addPod(e.pod);
    this.infos.set(name, info);
    this.sorted = undefined;
  }

  removeNode(node: Node): void {
    this.infos.delete(node.metadata.name ?? '');
    this.sorted = undefined;
  }

  /** Records a pod bound to a node (from the apiserver); confirms it if it was assumed. */
  addOrUpdatePod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) return this.removePod(pod);
    this.place(podKey(pod), { pod, nodeName });
  }

  /** Forgets a pod. */
  removePod(pod: Pod): void {
    const key = podKey(pod);
    const e = this.pods.get(key);
    if (!e) return;
    this.infos.get(e.nodeName)?.removePod(e.pod);
    this.pods.delete(key);
    this.assumed.delete(key);
  }

  /** Places a pod on a node before its binding is confirmed. */
  assumePod(pod: Pod, nodeName: string): void {
    const placed: Pod = { ...pod, spec: { ...pod.spec!, nodeName } };
    this.place(podKey(pod), { pod: placed, nodeName, assumedAt: this.now() });
  }

  /** Undoes {@link assumePod} (binding failed). */
  forgetPod(pod: Pod): void {
    if (this.assumed.has(podKey(pod))) this.removePod(pod);
  }

  /** True if the pod is assumed and not yet confirmed. */
  isAssumed(pod: Pod): boolean {
    return this.assumed.has(podKey(pod));
  }

  /**
   * The current NodeInfos (assumed pods included, expired assumptions dropped first), sorted by
   * node name. The objects are the cache's own: plugins must treat them as read-only (preemption
   * works on clones).
   */
  snapshot(): NodeInfo[] {
    if (this.assumed.size) {
      const now = this.now();
      for (const key of [...this.assumed]) {
        const e = this.pods.get(key);
        if (e?.assumedAt !== undefined && now - e.assumedAt > this.ttl) this.removePod(e.pod);
      }
    }
    this.sorted ??= [...this.infos.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.sorted;
  }

  /** Number of nodes. */
  nodeCount(): number {
    return this.infos.size;
  }

  /** Whether the pod is in the cache at all (bound or assumed). */
  has(pod: Pod): boolean {
    return this.pods.has(podKey(pod));
  }

  private place(key: string, entry: PodEntry): void {
    const old = this.pods.get(key);
    if (old) this.infos.get(old.nodeName)?.removePod(old.pod);
    this.pods.set(key, entry);
    if (entry.assumedAt !== undefined) this.assumed.add(key);
    else this.assumed.delete(key);
    this.infos.get(entry.nodeName)?.addPod(entry.pod);
  }
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
