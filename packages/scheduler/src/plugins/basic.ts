/**
 * Small default plugins: PrioritySort, SchedulingGates, NodeName, NodeUnschedulable, NodePorts,
 * TaintToleration, NodeAffinity, ImageLocality, DefaultBinder. Reason strings are upstream's.
 */
import type { Pod } from '@keelson/api';
import type {
  BindPlugin,
  CycleState,
  FilterPlugin,
  PluginContext,
  PreEnqueuePlugin,
  PreScorePlugin,
  QueueSortPlugin,
  QueuedPodInfo,
  ScorePlugin,
} from '../framework/interface';
import { MAX_NODE_SCORE } from '../framework/interface';
import { hostPorts, type NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import {
  firstUntoleratedTaint,
  podMatchesNodeSelectorAndAffinity,
  termMatches,
  tolerates,
} from './node-selection';
import { defaultNormalize } from './normalize';

/** Pod priority (spec.priority, 0 when unset). */
export const podPriority = (pod: Pod): number => pod.spec?.priority ?? 0;

/** QueueSort: higher priority first, then the pod that entered the queue earlier. */
export class PrioritySort implements QueueSortPlugin {
  name() {
    return 'PrioritySort';
  }
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = podPriority(a.pod);
    const pb = podPriority(b.pod);
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}

/** PreEnqueue: a pod with spec.schedulingGates stays out of the active queue. */
export class SchedulingGates implements PreEnqueuePlugin {
  name() {
    return 'SchedulingGates';
  }
  preEnqueue(pod: Pod): Status {
    const gates = pod.spec?.schedulingGates ?? [];
    if (!gates.length) return Status.success();
    return new Status(6, [`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`]);
  }
}

/** Filter: spec.nodeName, when set, must name the node. */
export class NodeName implements FilterPlugin {
  name() {
    return 'NodeName';
  }
  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    const want = pod.spec?.nodeName;
    return !want || want === node.name
      ? Status.success()
      : Status.unresolvable("node(s) didn't match the requested node name");
  }
}

/** Filter: unschedulable (cordoned) nodes, unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule. */
export class NodeUnschedulable implements FilterPlugin {
  name() {
    return 'NodeUnschedulable';
  }
  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    if (!node.node.spec?.unschedulable) return Status.success();
    const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    if ((pod.spec?.tolerations ?? []).some((t) => tolerates(t, taint))) return Status.success();
    return Status.unresolvable('node(s) were unschedulable');
  }
}

/** Filter: the pod's host ports must be free on the node (0.0.0.0 conflicts with every IP). */
export class NodePorts implements FilterPlugin {
  name() {
    return 'NodePorts';
  }
  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    for (const want of hostPorts(pod)) {
      const clash = node.usedPorts.some(
        (u) =>
          u.port === want.port &&
          u.protocol === want.protocol &&
          (u.ip === want.ip || u.ip === '0.0.0.0' || want.ip === '0.0.0.0'),
      );
      if (clash) return Status.unschedulable("node(s) didn't have free ports for the requested pod ports");
    }
    return Status.success();
  }
}

/**
 * Filter: NoSchedule/NoExecute taints must be tolerated.
 * Score: fewer intolerable PreferNoSchedule taints is better (normalized, reversed).
 */
export class TaintToleration implements FilterPlugin, ScorePlugin {
  name() {
    return 'TaintToleration';
  }
  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    const t = firstUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, [
      'NoSchedule',
      'NoExecute',
    ]);
    return t
      ? Status.unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`)
      : Status.success();
  }
  score(_s: CycleState, pod: Pod, node: NodeInfo) {
    const tolerations = (pod.spec?.tolerations ?? []).filter(
      (t) => !t.effect || t.effect === 'PreferNoSchedule',
    );
    const count = (node.node.spec?.taints ?? []).filter(
      (taint) => taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)),
    ).length;
    return { score: count, status: Status.success() };
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: Map<string, number>): Status {
    return defaultNormalize(scores, true);
  }
}

/**
 * Filter: nodeSelector and required node affinity.
 * Score: the sum of weights of the preferred terms the node matches (normalized).
 */
export class NodeAffinity implements FilterPlugin, ScorePlugin, PreScorePlugin {
  constructor(private readonly ctx: PluginContext) {}
  name() {
    return 'NodeAffinity';
  }
  filter(_s: CycleState, pod: Pod, node: NodeInfo): Status {
    const added = this.ctx.args.addedAffinity as
      { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: never[] } } | undefined;
    if (added?.requiredDuringSchedulingIgnoredDuringExecution) {
      const terms = added.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      if (!terms.some((t) => termMatches(t, node.node)))
        return Status.unresolvable("node(s) didn't match scheduler-enforced node affinity");
    }
    return podMatchesNodeSelectorAndAffinity(pod, node.node)
      ? Status.success()
      : Status.unresolvable("node(s) didn't match Pod's node affinity/selector");
  }
  preScore(_s: CycleState, pod: Pod): Status {
    return pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length
      ? Status.success()
      : Status.skip();
  }
  score(_s: CycleState, pod: Pod, node: NodeInfo) {
    let sum = 0;
    for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight && termMatches(p.preference, node.node)) sum += p.weight;
    }
    return { score: sum, status: Status.success() };
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: Map<string, number>): Status {
    return defaultNormalize(scores, false);
  }
}

const MB = 1024 * 1024;
/** ImageLocality thresholds (kube-scheduler image_locality.go): 23 MB and 1000 MB per container. */
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** Score: prefer nodes that already have the pod's images, scaled by how many nodes have them. */
export class ImageLocality implements PreScorePlugin, ScorePlugin {
  name() {
    return 'ImageLocality';
  }
  /** Counts, once per cycle, how many nodes hold each of the pod's images. */
  preScore(state: CycleState, pod: Pod, _feasible: NodeInfo[], all: NodeInfo[]): Status {
    const images = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) =>
      normalizeImage(c.image ?? ''),
    );
    const spread = new Map<string, number>(images.map((i) => [i, 0]));
    for (const n of all) {
      for (const img of n.node.status?.images ?? []) {
        for (const name of new Set((img.names ?? []).map(normalizeImage)))
          if (spread.has(name)) spread.set(name, spread.get(name)! + 1);
      }
    }
    state.write('PreScoreImageLocality', { images, spread, total: all.length });
    return Status.success();
  }
  score(state: CycleState, _pod: Pod, node: NodeInfo) {
    const s = state.read<{ images: string[]; spread: Map<string, number>; total: number }>(
      'PreScoreImageLocality',
    )!;
    let sum = 0;
    for (const image of s.images) {
      const here = (node.node.status?.images ?? []).find((i) =>
        (i.names ?? []).some((n) => normalizeImage(n) === image),
      );
      if (here)
        sum += Math.floor(((here.sizeBytes ?? 0) * (s.spread.get(image) ?? 0)) / Math.max(1, s.total));
    }
    const max = MAX_CONTAINER_THRESHOLD * s.images.length;
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
    const score =
      max > MIN_THRESHOLD
        ? Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD))
        : 0;
    return { score, status: Status.success() };
  }
}

/** "busybox" → "docker.io/library/busybox:latest" so node image names compare with pod images. */
export function normalizeImage(ref: string): string {
  let name = ref;
  if (!name.includes('@') && !/:[^/]+$/.test(name)) name += ':latest';
  const first = name.split('/')[0];
  if (!name.includes('/')) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  return name;
}

/** Bind: writes the pods/binding subresource through the cluster layer's binder. */
export class DefaultBinder implements BindPlugin {
  constructor(private readonly ctx: PluginContext) {}
  name() {
    return 'DefaultBinder';
  }
  async bind(_s: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    if (!this.ctx.binder) return Status.skip();
    try {
      await this.ctx.binder(pod, nodeName);
      return Status.success();
    } catch (err) {
      return Status.error((err as Error).message, err);
    }
  }
}
