/**
 * One profile's plugins wired to the extension points, and the calls that run them in order
 * (kube-scheduler framework/runtime/framework.go).
 */
import type { Pod } from '@keelson/api';
import { SchedulerConfigError } from '../errors';
import { pluginsFor, type Profile } from './config';
import {
  CycleState,
  EXTENSION_METHOD,
  EXTENSION_POINTS,
  MAX_NODE_SCORE,
  type BindPlugin,
  type ExtensionPoint,
  type FilterPlugin,
  type Plugin,
  type PluginContext,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type PermitPlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
} from './interface';
import type { NodeInfo } from './node-info';
import type { Registry } from './registry';
import { Code, Status } from './status';

/** A plugin at the score extension point with its weight. */
interface WeightedScore {
  plugin: ScorePlugin;
  weight: number;
}

/** The plugins of one profile, instantiated. */
export class Framework {
  readonly profileName: string;
  readonly percentageOfNodesToScore?: number;
  readonly preEnqueue: PreEnqueuePlugin[] = [];
  queueSort?: QueueSortPlugin;
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  readonly filterPlugins: FilterPlugin[] = [];
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  readonly preScorePlugins: PreScorePlugin[] = [];
  readonly scorePlugins: WeightedScore[] = [];
  readonly reservePlugins: ReservePlugin[] = [];
  readonly permitPlugins: PermitPlugin[] = [];
  readonly preBindPlugins: PreBindPlugin[] = [];
  readonly bindPlugins: BindPlugin[] = [];
  readonly postBindPlugins: PostBindPlugin[] = [];

  /**
   * Instantiates every plugin the profile enables, once each.
   * @throws SchedulerConfigError for an unknown plugin name or a plugin placed at a point it does not implement
   */
  constructor(profile: Profile, registry: Registry, baseCtx: Omit<PluginContext, 'args'>) {
    this.profileName = profile.schedulerName;
    const ctx: Omit<PluginContext, 'args'> = {
      ...baseCtx,
      runFilter: (state, pod, node) => this.runFilter(state, pod, node),
    };
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    const instances = new Map<string, Plugin>();
    const argsOf = (name: string) => profile.pluginConfig?.find((c) => c.name === name)?.args ?? {};
    const instance = (name: string): Plugin => {
      let p = instances.get(name);
      if (!p) {
        const factory = registry.get(name);
        if (!factory)
          throw new SchedulerConfigError(
            `plugin "${name}" does not exist (profile ${profile.schedulerName})`,
          );
        p = factory({ ...ctx, args: argsOf(name) });
        instances.set(name, p);
      }
      return p;
    };
    const implementsPoint = (point: ExtensionPoint) => (name: string) => {
      if (!registry.get(name)) return false;
      return (
        typeof (instance(name) as unknown as Record<string, unknown>)[EXTENSION_METHOD[point]] === 'function'
      );
    };
    for (const point of EXTENSION_POINTS) {
      for (const ref of pluginsFor(profile, point, implementsPoint(point))) {
        const p = instance(ref.name) as unknown as Record<string, unknown>;
        if (typeof p[EXTENSION_METHOD[point]] !== 'function') {
          throw new SchedulerConfigError(`plugin "${ref.name}" does not extend ${point}`);
        }
        const plugin = p as unknown as Plugin;
        switch (point) {
          case 'preEnqueue':
            this.preEnqueue.push(plugin as PreEnqueuePlugin);
            break;
          case 'queueSort':
            this.queueSort ??= plugin as QueueSortPlugin;
            break;
          case 'preFilter':
            this.preFilterPlugins.push(plugin as PreFilterPlugin);
            break;
          case 'filter':
            this.filterPlugins.push(plugin as FilterPlugin);
            break;
          case 'postFilter':
            this.postFilterPlugins.push(plugin as PostFilterPlugin);
            break;
          case 'preScore':
            this.preScorePlugins.push(plugin as PreScorePlugin);
            break;
          case 'score':
            this.scorePlugins.push({ plugin: plugin as ScorePlugin, weight: ref.weight ?? 1 });
            break;
          case 'reserve':
            this.reservePlugins.push(plugin as ReservePlugin);
            break;
          case 'permit':
            this.permitPlugins.push(plugin as PermitPlugin);
            break;
          case 'preBind':
            this.preBindPlugins.push(plugin as PreBindPlugin);
            break;
          case 'bind':
            this.bindPlugins.push(plugin as BindPlugin);
            break;
          case 'postBind':
            this.postBindPlugins.push(plugin as PostBindPlugin);
            break;
        }
      }
    }
  }

  /** PreEnqueue: Success lets the pod into the active queue. */
  runPreEnqueue(pod: Pod): Status {
    for (const p of this.preEnqueue) {
      const s = p.preEnqueue(pod);
      if (!s.isSuccess()) return s.withPlugin(p.name());
    }
    return Status.success();
  }

  /** PreFilter: intersects node-name restrictions; a rejection ends the cycle for every node. */
  runPreFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    let result: PreFilterResult | undefined;
    for (const p of this.preFilterPlugins) {
      const r = p.preFilter(state, pod, nodes);
      if (r.status.code === Code.Skip) {
        state.skipFilter.add(p.name());
        continue;
      }
      if (!r.status.isSuccess()) return { status: r.status.withPlugin(p.name()) };
      if (r.result?.nodeNames) {
        const names = r.result.nodeNames;
        result = {
          nodeNames: result?.nodeNames
            ? new Set([...result.nodeNames].filter((n) => names.has(n)))
            : new Set(names),
        };
      }
    }
    return { result, status: Status.success() };
  }

  /** Filter on one node: the first rejecting plugin's status. */
  runFilter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    for (const p of this.filterPlugins) {
      if (state.skipFilter.has(p.name())) continue;
      const s = p.filter(state, pod, node);
      if (!s.isSuccess()) return s.withPlugin(p.name());
    }
    return Status.success();
  }

  /** PostFilter (preemption) after no node fits. */
  runPostFilter(
    state: CycleState,
    pod: Pod,
    nodes: NodeInfo[],
    filtered: Map<string, Status>,
  ): { result?: PostFilterResult; status: Status } {
    let last = Status.unschedulable();
    for (const p of this.postFilterPlugins) {
      const r = p.postFilter(state, pod, nodes, filtered);
      if (r.status.isSuccess()) return r;
      last = r.status.withPlugin(p.name());
    }
    return { status: last };
  }

  /**
   * PreScore, Score, NormalizeScore and weights: the total score per node name.
   * @returns totals, or a non-success Status from a plugin
   */
  runScore(
    state: CycleState,
    pod: Pod,
    feasible: NodeInfo[],
    all: NodeInfo[],
  ): { totals: Map<string, number>; status: Status } {
    const totals = new Map<string, number>(feasible.map((n) => [n.name, 0]));
    for (const p of this.preScorePlugins) {
      const s = p.preScore(state, pod, feasible, all);
      if (s.code === Code.Skip) state.skipScore.add(p.name());
      else if (!s.isSuccess()) return { totals, status: s.withPlugin(p.name()) };
    }
    for (const { plugin, weight } of this.scorePlugins) {
      if (state.skipScore.has(plugin.name())) continue;
      const scores = new Map<string, number>();
      for (const n of feasible) {
        const r = plugin.score(state, pod, n);
        if (!r.status.isSuccess()) return { totals, status: r.status.withPlugin(plugin.name()) };
        scores.set(n.name, r.score);
      }
      if (plugin.normalizeScore) {
        const s = plugin.normalizeScore(state, pod, scores);
        if (!s.isSuccess()) return { totals, status: s.withPlugin(plugin.name()) };
      }
      for (const [name, score] of scores) {
        if (score < 0 || score > MAX_NODE_SCORE) {
          return {
            totals,
            status: Status.error(
              `plugin ${plugin.name()} returned an invalid score ${score} for node ${name}`,
            ),
          };
        }
        totals.set(name, totals.get(name)! + score * weight);
      }
    }
    return { totals, status: Status.success() };
  }

  /** Reserve in order; on failure, unreserves the ones already reserved (in reverse). */
  runReserve(state: CycleState, pod: Pod, nodeName: string): Status {
    for (let i = 0; i < this.reservePlugins.length; i++) {
      const s = this.reservePlugins[i].reserve(state, pod, nodeName);
      if (!s.isSuccess()) {
        this.runUnreserve(state, pod, nodeName);
        return s.withPlugin(this.reservePlugins[i].name());
      }
    }
    return Status.success();
  }

  runUnreserve(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of [...this.reservePlugins].reverse()) p.unreserve(state, pod, nodeName);
  }

  /** Permit: Success, a rejection, or Wait with the longest timeout asked (ms). */
  runPermit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs: number } {
    let wait = 0;
    for (const p of this.permitPlugins) {
      const r = p.permit(state, pod, nodeName);
      if (r.status.code === Code.Wait) wait = Math.max(wait, r.timeoutMs ?? 0);
      else if (!r.status.isSuccess()) return { status: r.status.withPlugin(p.name()), timeoutMs: 0 };
    }
    return { status: wait ? new Status(Code.Wait) : Status.success(), timeoutMs: wait };
  }

  async runPreBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.preBindPlugins) {
      const s = await p.preBind(state, pod, nodeName);
      if (!s.isSuccess()) return s.withPlugin(p.name());
    }
    return Status.success();
  }

  /** Bind with the first binder that does not Skip. */
  async runBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const p of this.bindPlugins) {
      const s = await p.bind(state, pod, nodeName);
      if (s.code === Code.Skip) continue;
      return s.withPlugin(p.name());
    }
    return Status.error('no bind plugin bound the pod');
  }

  runPostBind(state: CycleState, pod: Pod, nodeName: string): void {
    for (const p of this.postBindPlugins) p.postBind(state, pod, nodeName);
  }
}
