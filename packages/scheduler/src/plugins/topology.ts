/**
 * PodTopologySpread and InterPodAffinity (kube-scheduler plugins/podtopologyspread and
 * plugins/interpodaffinity): both count pods per topology domain, the value of a node label.
 */
import type { Pod, PodAffinityTerm, TopologySpreadConstraint } from '@keelson/api';
import { labelSelectorFromStructured, type Selector } from '@keelson/api';
import type {
  CycleState,
  FilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/interface';
import { MAX_NODE_SCORE } from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import { podMatchesNodeSelectorAndAffinity } from './node-selection';

const domainOf = (node: NodeInfo, key: string): string | undefined => node.node.metadata.labels?.[key];

/** Parsed selectors, by the structured selector object they came from (pods are immutable snapshots). */
const parsed = new WeakMap<object, Selector>();
const NOTHING = labelSelectorFromStructured(undefined);

function selectorMatches(
  sel: PodAffinityTerm['labelSelector'] | TopologySpreadConstraint['labelSelector'],
  pod: Pod,
): boolean {
  if (!sel) return NOTHING.matches(pod.metadata.labels);
  let s = parsed.get(sel);
  if (!s) parsed.set(sel, (s = labelSelectorFromStructured(sel)));
  return s.matches(pod.metadata.labels);
}

// ---------------------------------------------------------------------------------------------
// PodTopologySpread

interface SpreadState {
  constraints: TopologySpreadConstraint[];
  /** per constraint: domain value → matching pod count */
  counts: Array<Map<string, number>>;
}

function spreadState(pod: Pod, nodes: NodeInfo[], hard: boolean): SpreadState {
  const constraints = (pod.spec?.topologySpreadConstraints ?? []).filter(
    (c) => (c.whenUnsatisfiable === 'DoNotSchedule') === hard,
  );
  const counts = constraints.map((c) => {
    const m = new Map<string, number>();
    for (const n of nodes) {
      const d = domainOf(n, c.topologyKey);
      if (d === undefined) continue;
      if ((c.nodeAffinityPolicy ?? 'Honor') === 'Honor' && !podMatchesNodeSelectorAndAffinity(pod, n.node))
        continue;
      const matching = n.pods.filter(
        (p) =>
          p.pod.metadata.namespace === pod.metadata.namespace &&
          !p.pod.metadata.deletionTimestamp &&
          selectorMatches(c.labelSelector, p.pod),
      ).length;
      m.set(d, (m.get(d) ?? 0) + matching);
    }
    return m;
  });
  return { constraints, counts };
}

/** Filter: DoNotSchedule constraints' maxSkew. Score: fewer matching pods in ScheduleAnyway domains is better. */
export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  name() {
    return 'PodTopologySpread';
  }
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]) {
    const s = spreadState(pod, nodes, true);
    if (!s.constraints.length) return { status: Status.skip() };
    state.write('PreFilterPodTopologySpread', s);
    return { status: Status.success() };
  }
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const s = state.read<SpreadState>('PreFilterPodTopologySpread');
    if (!s) return Status.success();
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const d = domainOf(node, c.topologyKey);
      if (d === undefined)
        return Status.unresolvable(
          "node(s) didn't match pod topology spread constraints (missing required label)",
        );
      const counts = s.counts[i];
      let min = counts.size ? Math.min(...counts.values()) : 0;
      if (c.minDomains && counts.size < c.minDomains) min = 0;
      const self = selectorMatches(c.labelSelector, pod) ? 1 : 0;
      if ((counts.get(d) ?? 0) + self - min > c.maxSkew)
        return Status.unschedulable("node(s) didn't match pod topology spread constraints");
    }
    return Status.success();
  }
  preScore(state: CycleState, pod: Pod, _feasible: NodeInfo[], all: NodeInfo[]): Status {
    const s = spreadState(pod, all, false);
    if (!s.constraints.length) return Status.skip();
    state.write('PreScorePodTopologySpread', s);
    return Status.success();
  }
  score(state: CycleState, _pod: Pod, node: NodeInfo) {
    const s = state.read<SpreadState>('PreScorePodTopologySpread')!;
    let sum = 0;
    s.constraints.forEach((c, i) => {
      const d = domainOf(node, c.topologyKey);
      if (d !== undefined) sum += (s.counts[i].get(d) ?? 0) * Math.log(s.counts[i].size + 2);
    });
    return { score: Math.round(sum), status: Status.success() };
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: Map<string, number>): Status {
    const values = [...scores.values()];
    const max = Math.max(...values);
    const min = Math.min(...values);
    for (const [k, v] of scores)
      scores.set(k, max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - v)) / max));
    return Status.success();
  }
}

// ---------------------------------------------------------------------------------------------
// InterPodAffinity

function termNamespaces(term: PodAffinityTerm, owner: Pod): string[] | 'all' {
  if (term.namespaceSelector && Object.keys(term.namespaceSelector).length === 0) return 'all';
  return term.namespaces?.length ? term.namespaces : [owner.metadata.namespace ?? 'default'];
}

/** Whether `target` is selected by `term`, a term of `owner`. */
function termSelects(term: PodAffinityTerm, owner: Pod, target: Pod): boolean {
  const ns = termNamespaces(term, owner);
  if (ns !== 'all' && !ns.includes(target.metadata.namespace ?? 'default')) return false;
  return selectorMatches(term.labelSelector, target);
}

/** Domains (topology values) holding at least one pod the term selects. */
function domainsWithMatches(term: PodAffinityTerm, owner: Pod, nodes: NodeInfo[]): Set<string> {
  const out = new Set<string>();
  for (const n of nodes) {
    const d = domainOf(n, term.topologyKey);
    if (d === undefined) continue;
    if (n.pods.some((p) => termSelects(term, owner, p.pod))) out.add(d);
  }
  return out;
}

interface AffinityState {
  affinity: Array<{ term: PodAffinityTerm; domains: Set<string> }>;
  anti: Array<{ term: PodAffinityTerm; domains: Set<string> }>;
  /** topologyKey=value pairs where an existing pod's required anti-affinity rejects this pod */
  existingAnti: Set<string>;
  /** No pod in the cluster matches any affinity term (then a pod matching its own terms may go anywhere). */
  noAffinityMatches: boolean;
}

/** Filter: required pod affinity/anti-affinity (and existing pods' anti-affinity). Score: preferred terms. */
export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  name() {
    return 'InterPodAffinity';
  }
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]) {
    const aff = pod.spec?.affinity;
    const affinity = (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((term) => ({
      term,
      domains: domainsWithMatches(term, pod, nodes),
    }));
    const anti = (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((term) => ({
      term,
      domains: domainsWithMatches(term, pod, nodes),
    }));
    const existingAnti = new Set<string>();
    for (const n of nodes) {
      for (const existing of n.podsWithRequiredAntiAffinity) {
        for (const term of existing.spec?.affinity?.podAntiAffinity
          ?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
          const d = domainOf(n, term.topologyKey);
          if (d !== undefined && termSelects(term, existing, pod))
            existingAnti.add(`${term.topologyKey}=${d}`);
        }
      }
    }
    if (!affinity.length && !anti.length && !existingAnti.size) return { status: Status.skip() };
    const noAffinityMatches = affinity.every((a) => a.domains.size === 0);
    state.write('PreFilterInterPodAffinity', {
      affinity,
      anti,
      existingAnti,
      noAffinityMatches,
    } satisfies AffinityState);
    return { status: Status.success() };
  }
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status {
    const s = state.read<AffinityState>('PreFilterInterPodAffinity');
    if (!s) return Status.success();
    for (const key of s.existingAnti) {
      const [k, v] = [key.slice(0, key.indexOf('=')), key.slice(key.indexOf('=') + 1)];
      if (domainOf(node, k) === v)
        return Status.unschedulable("node(s) didn't satisfy existing pods anti-affinity rules");
    }
    for (const a of s.affinity) {
      const d = domainOf(node, a.term.topologyKey);
      if (d === undefined) return Status.unresolvable("node(s) didn't match pod affinity rules");
      if (a.domains.has(d)) continue;
      // The first pod of a group that selects itself may go anywhere (upstream special case).
      if (s.noAffinityMatches && s.affinity.every((x) => termSelects(x.term, pod, pod))) continue;
      return Status.unschedulable("node(s) didn't match pod affinity rules");
    }
    for (const a of s.anti) {
      const d = domainOf(node, a.term.topologyKey);
      if (d !== undefined && a.domains.has(d))
        return Status.unschedulable("node(s) didn't match pod anti-affinity rules");
    }
    return Status.success();
  }
  preScore(state: CycleState, pod: Pod, _feasible: NodeInfo[], all: NodeInfo[]): Status {
    const aff = pod.spec?.affinity;
    const terms = [
      ...(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({
        w: w.weight,
        term: w.podAffinityTerm,
      })),
      ...(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({
        w: -w.weight,
        term: w.podAffinityTerm,
      })),
    ];
    if (!terms.length) return Status.skip();
    // topologyKey=value → summed weight
    const weights = new Map<string, number>();
    for (const { w, term } of terms) {
      for (const n of all) {
        const d = domainOf(n, term.topologyKey);
        if (d === undefined) continue;
        const matches = n.pods.filter((p) => termSelects(term, pod, p.pod)).length;
        if (matches)
          weights.set(
            `${term.topologyKey}=${d}`,
            (weights.get(`${term.topologyKey}=${d}`) ?? 0) + w * matches,
          );
      }
    }
    state.write('PreScoreInterPodAffinity', weights);
    return Status.success();
  }
  score(state: CycleState, _pod: Pod, node: NodeInfo) {
    const weights = state.read<Map<string, number>>('PreScoreInterPodAffinity')!;
    let sum = 0;
    for (const [key, w] of weights) {
      const i = key.indexOf('=');
      if (domainOf(node, key.slice(0, i)) === key.slice(i + 1)) sum += w;
    }
    return { score: sum, status: Status.success() };
  }
  normalizeScore(_s: CycleState, _p: Pod, scores: Map<string, number>): Status {
    const values = [...scores.values()];
    const max = Math.max(...values);
    const min = Math.min(...values);
    for (const [k, v] of scores)
      scores.set(k, max === min ? 0 : Math.floor((MAX_NODE_SCORE * (v - min)) / (max - min)));
    return Status.success();
  }
}
