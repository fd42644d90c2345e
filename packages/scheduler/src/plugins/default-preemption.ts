/**
 * DefaultPreemption (PostFilter): when no node fits, find a node where evicting lower-priority
 * pods makes room, choosing the node with the fewest and least important victims, and nominate
 * it (kube-scheduler plugins/defaultpreemption; the victim selection of preemption.go).
 */
import type { Pod } from '@keelson/api';
import {
  CycleState,
  type PluginContext,
  type PostFilterPlugin,
  type PostFilterResult,
} from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Code, Status } from '../framework/status';
import { podPriority } from './basic';

interface Candidate {
  node: string;
  victims: Pod[];
}

/** PostFilter: preemption of lower-priority pods. */
export class DefaultPreemption implements PostFilterPlugin {
  constructor(private readonly ctx: PluginContext) {}
  name() {
    return 'DefaultPreemption';
  }

  postFilter(
    _state: CycleState,
    pod: Pod,
    nodes: NodeInfo[],
    filtered: Map<string, Status>,
  ): { result?: PostFilterResult; status: Status } {
    if (pod.spec?.preemptionPolicy === 'Never') {
      return {
        status: Status.unschedulable(
          '0/' + nodes.length + ' nodes are available: Preemption is not allowed.',
        ),
      };
    }
    const prio = podPriority(pod);
    const candidates: Candidate[] = [];
    let unhelpful = 0;
    for (const node of nodes) {
      const s = filtered.get(node.name);
      // Only nodes rejected for reasons preemption can fix.
      if (!s || s.code !== Code.Unschedulable) {
        unhelpful++;
        continue;
      }
      const c = this.selectVictims(pod, prio, node);
      if (c) candidates.push(c);
      else unhelpful++;
    }
    if (!candidates.length) {
      return {
        status: Status.unschedulable(
          `0/${nodes.length} nodes are available: ${unhelpful} Preemption is not helpful for scheduling.`,
        ),
      };
    }
    candidates.sort(compareCandidates);
    const best = candidates[0];
    if (this.ctx.evict) for (const v of best.victims) void this.ctx.evict(v);
    return { result: { nominatedNodeName: best.node, victims: best.victims }, status: Status.success() };
  }

  /** Removes all lower-priority pods, checks fit, then reprieves victims highest-priority first. */
  private selectVictims(pod: Pod, prio: number, node: NodeInfo): Candidate | undefined {
    const run = this.ctx.runFilter!;
    const lower = node.pods.map((p) => p.pod).filter((p) => podPriority(p) < prio);
    if (!lower.length) return undefined;
    const what = node.clone();
    for (const v of lower) what.removePod(v);
    if (!run(new CycleState(), pod, what).isSuccess()) return undefined;
    const victims: Pod[] = [];
    const byImportance = [...lower].sort((a, b) => podPriority(b) - podPriority(a));
    for (const v of byImportance) {
      what.addPod(v);
      if (!run(new CycleState(), pod, what).isSuccess()) {
        what.removePod(v);
        victims.push(v);
      }
    }
    return { node: node.name, victims };
  }
}

/** Fewer high-priority victims first: lowest max victim priority, then sum of priorities, then count. */
function compareCandidates(a: Candidate, b: Candidate): number {
  const max = (c: Candidate) => Math.max(...c.victims.map(podPriority), -Infinity);
  const sum = (c: Candidate) => c.victims.reduce((s, v) => s + podPriority(v), 0);
  return (
    max(a) - max(b) || sum(a) - sum(b) || a.victims.length - b.victims.length || (a.node < b.node ? -1 : 1)
  );
}
