/**
 * NodeResourcesFit (Filter + Score with LeastAllocated, MostAllocated or RequestedToCapacityRatio)
 * and NodeResourcesBalancedAllocation (kube-scheduler plugins/noderesources).
 */
import type { Pod } from '@keelson/api';
import type {
  CycleState,
  FilterPlugin,
  PluginContext,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/interface';
import { MAX_NODE_SCORE } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { podRequests, podRequestsForScoring, type Resources } from '../framework/resources';
import { Status } from '../framework/status';
import { SchedulerConfigError } from '../errors';

/** One resource and its weight in a scoring strategy. */
interface ResourceSpec {
  name: string;
  weight: number;
}

/** NodeResourcesFitArgs.scoringStrategy. */
interface ScoringStrategy {
  type?: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
  resources?: ResourceSpec[];
  requestedToCapacityRatio?: { shape: Array<{ utilization: number; score: number }> };
}

const STATE_KEY = 'PreFilterNodeResourcesFit';
const SCORE_KEY = 'PreScoreNodeResourcesFit';

function amount(r: Resources, name: string): number {
  if (name === 'cpu') return r.milliCPU;
  if (name === 'memory') return r.memory;
  if (name === 'ephemeral-storage') return r.ephemeralStorage;
  return r.scalar[name] ?? 0;
}

/** Filter: requests + already requested ≤ allocatable for every resource, and pod count. */
export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  private readonly strategy: Required<Pick<ScoringStrategy, 'type'>> & ScoringStrategy;
  private readonly resources: ResourceSpec[];

  constructor(ctx: PluginContext) {
    const s = (ctx.args.scoringStrategy ?? {}) as ScoringStrategy;
    const type = s.type ?? 'LeastAllocated';
    if (!['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'].includes(type)) {
      throw new SchedulerConfigError(`NodeResourcesFit: scoringStrategy.type: Unsupported value: "${type}"`);
    }
    this.strategy = { ...s, type };
    this.resources = s.resources?.length
      ? s.resources
      : [
          { name: 'cpu', weight: 1 },
          { name: 'memory', weight: 1 },
        ];
  }
  name() {
    return 'NodeResourcesFit';
  }
  preFilter(state: CycleState, pod: Pod) {
    state.write(STATE_KEY, podRequests(pod));
    return { status: Status.success() };
  }
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const req = state.read<Resources>(STATE_KEY) ?? podRequests(pod);
    const reasons = insufficient(req, node);
    return reasons.length ? Status.unschedulable(...reasons) : Status.success();
  }
  preScore(state: CycleState, pod: Pod): Status {
    state.write(SCORE_KEY, podRequestsForScoring(pod));
    return Status.success();
  }
  score(state: CycleState, pod: Pod, node: NodeInfo) {
    const req = state.read<Resources>(SCORE_KEY) ?? podRequestsForScoring(pod);
    let total = 0;
    let weights = 0;
    for (const r of this.resources) {
      const alloc = amount(node.allocatable, r.name);
      if (alloc === 0) continue;
      const requested = amount(node.nonZeroRequested, r.name) + amount(req, r.name);
      total += this.resourceScore(requested, alloc) * r.weight;
      weights += r.weight;
    }
    return { score: weights ? Math.floor(total / weights) : 0, status: Status.success() };
  }

  private resourceScore(requested: number, capacity: number): number {
    switch (this.strategy.type) {
      case 'MostAllocated':
        return requested > capacity ? MAX_NODE_SCORE : Math.floor((requested * MAX_NODE_SCORE) / capacity);
      case 'RequestedToCapacityRatio': {
        const shape = (
          this.strategy.requestedToCapacityRatio?.shape ?? [
            { utilization: 0, score: 10 },
            { utilization: 100, score: 0 },
          ]
        ).map((p) => ({ u: p.utilization, s: (p.score * MAX_NODE_SCORE) / 10 }));
        const u = Math.min(100, Math.floor((requested * 100) / capacity));
        if (u <= shape[0].u) return Math.round(shape[0].s);
        for (let i = 1; i < shape.length; i++) {
          if (u <= shape[i].u) {
            const a = shape[i - 1];
            const b = shape[i];
            return Math.round(a.s + ((b.s - a.s) * (u - a.u)) / (b.u - a.u));
          }
        }
        return Math.round(shape[shape.length - 1].s);
      }
      default:
        return requested > capacity ? 0 : Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
    }
  }
}

/** The upstream reasons a pod does not fit: "Too many pods", "Insufficient cpu", ... */
export function insufficient(req: Resources, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.length + 1 > node.allowedPodNumber) reasons.push('Too many pods');
  if (req.milliCPU > 0 && req.milliCPU > node.allocatable.milliCPU - node.requested.milliCPU)
    reasons.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > node.allocatable.memory - node.requested.memory)
    reasons.push('Insufficient memory');
  if (
    req.ephemeralStorage > 0 &&
    req.ephemeralStorage > node.allocatable.ephemeralStorage - node.requested.ephemeralStorage
  ) {
    reasons.push('Insufficient ephemeral-storage');
  }
  for (const [name, v] of Object.entries(req.scalar)) {
    if (v > 0 && v > (node.allocatable.scalar[name] ?? 0) - (node.requested.scalar[name] ?? 0))
      reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** Score: prefer nodes whose cpu and memory fractions stay close together (1 - std dev). */
export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  name() {
    return 'NodeResourcesBalancedAllocation';
  }
  preScore(state: CycleState, pod: Pod): Status {
    state.write('PreScoreBalancedAllocation', podRequestsForScoring(pod));
    return Status.success();
  }
  score(state: CycleState, pod: Pod, node: NodeInfo) {
    const req = state.read<Resources>('PreScoreBalancedAllocation') ?? podRequestsForScoring(pod);
    const fractions: number[] = [];
    for (const name of ['cpu', 'memory']) {
      const alloc = amount(node.allocatable, name);
      if (alloc === 0) continue;
      fractions.push(Math.min(1, (amount(node.nonZeroRequested, name) + amount(req, name)) / alloc));
    }
    if (fractions.length < 2) return { score: MAX_NODE_SCORE, status: Status.success() };
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    const std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
    return { score: Math.floor((1 - std) * MAX_NODE_SCORE), status: Status.success() };
  }
}
