/**
 * The scheduling algorithm for one pod, with no I/O: PreFilter, Filter over (a sample of) the
 * nodes, PostFilter when none fits, then Score and host selection (kube-scheduler
 * schedule_one.go: schedulePod, findNodesThatFitPod, prioritizeNodes, selectHost).
 */
import type { Pod } from '@keelson/api';
import { CycleState } from './interface';
import type { Framework } from './framework';
import type { NodeInfo } from './node-info';
import { Code, Status } from './status';

/** Below this many nodes every node is checked (kube-scheduler minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** Floor of the adaptive percentage of nodes to score (minFeasibleNodesPercentageToFind). */
export const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/** A placement. */
export interface ScheduleResult {
  nodeName: string;
  /** Nodes the filters looked at. */
  evaluatedNodes: number;
  /** Nodes that passed the filters. */
  feasibleNodes: number;
  /** The cycle state (Reserve/Permit/Bind plugins read it). */
  state: CycleState;
}

/** Why no node fits: each filtered node's status, and the aggregate message. */
export class FitError extends Error {
  constructor(
    readonly pod: Pod,
    readonly numAllNodes: number,
    /** Node name → the rejecting status. */
    readonly filtered: Map<string, Status>,
    /** A PreFilter rejection applying to every node. */
    readonly preFilterStatus?: Status,
    /** Set when PostFilter (preemption) nominated a node. */
    public nominatedNodeName?: string,
    public postFilterMessage?: string,
  ) {
    super(fitErrorMessage(numAllNodes, filtered, preFilterStatus, postFilterMessage));
    this.name = 'FitError';
  }
}

/**
 * The FailedScheduling message as upstream writes it:
 * "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu."
 * Reasons are counted over nodes and sorted by text.
 */
export function fitErrorMessage(
  numAllNodes: number,
  filtered: Map<string, Status>,
  pre?: Status,
  post?: string,
): string {
  const counts = new Map<string, number>();
  if (pre && !pre.isSuccess()) {
    for (const r of pre.reasons.length ? pre.reasons : ['rejected by PreFilter']) counts.set(r, numAllNodes);
  } else {
    for (const s of filtered.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const parts = [...counts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([r, c]) => `${c} ${r}`);
  let msg = `0/${numAllNodes} nodes are available`;
  msg += parts.length ? `: ${parts.join(', ')}.` : '.';
  if (post) msg += ` ${post}`;
  return msg;
}

/** Options of {@link schedulePod}. */
export interface ScheduleOptions {
  /** Random source in [0,1) for tie-breaks (default Math.random); inject for determinism. */
  random?: () => number;
  /** Where to start scanning nodes (round-robin across cycles); updated in place. */
  cursor?: { next: number };
}

/**
 * How many feasible nodes to find before scoring (kube-scheduler numFeasibleNodesToFind).
 * @param percentage configured percentageOfNodesToScore (0/undefined: adaptive)
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage?: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((numAllNodes * pct) / 100));
}

/**
 * Chooses a node for the pod.
 * @param nodes the snapshot (NodeInfos with placed and assumed pods)
 * @returns the placement
 * @throws FitError when no node fits (after PostFilter, whose nomination is recorded on the error)
 * @throws Error when a plugin returns an Error status
 */
export function schedulePod(
  fw: Framework,
  pod: Pod,
  nodes: NodeInfo[],
  opts: ScheduleOptions = {},
): ScheduleResult {
  const state = new CycleState();
  const random = opts.random ?? Math.random;
  if (nodes.length === 0) throw new FitError(pod, 0, new Map());

  const pre = fw.runPreFilter(state, pod, nodes);
  if (pre.status.code === Code.Error) throw new Error(pre.status.message());
  if (!pre.status.isSuccess()) {
    const post = fw.runPostFilter(state, pod, nodes, new Map());
    throw new FitError(
      pod,
      nodes.length,
      new Map(),
      pre.status,
      post.result?.nominatedNodeName,
      postMessage(post.status),
    );
  }
  const candidates = pre.result?.nodeNames ? nodes.filter((n) => pre.result!.nodeNames!.has(n.name)) : nodes;

  // Filter, starting at the cursor, stopping once enough feasible nodes are found.
  const want = numFeasibleNodesToFind(candidates.length, fw.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  const filtered = new Map<string, Status>();
  const start = candidates.length ? (opts.cursor?.next ?? 0) % candidates.length : 0;
  let evaluated = 0;
  for (let i = 0; i < candidates.length && feasible.length < want; i++) {
    const node = candidates[(start + i) % candidates.length];
    evaluated++;
    const s = fw.runFilter(state, pod, node);
    if (s.isSuccess()) feasible.push(node);
    else if (s.code === Code.Error) throw new Error(`${s.plugin}: ${s.message()}`);
    else filtered.set(node.name, s);
  }
  if (opts.cursor) opts.cursor.next = (start + evaluated) % Math.max(1, candidates.length);
  // Nodes removed by PreFilter count as rejected too (for the message).
  if (pre.result?.nodeNames) {
    for (const n of nodes)
      if (!pre.result.nodeNames.has(n.name))
        filtered.set(n.name, Status.unresolvable("node(s) didn't satisfy plugin(s) [PreFilter]"));
  }

  if (feasible.length === 0) {
    const post = fw.runPostFilter(state, pod, nodes, filtered);
    throw new FitError(
      pod,
      nodes.length,
      filtered,
      undefined,
      post.result?.nominatedNodeName,
      postMessage(post.status),
    );
  }
  if (feasible.length === 1)
    return { nodeName: feasible[0].name, evaluatedNodes: evaluated, feasibleNodes: 1, state };

  const scored = fw.runScore(state, pod, feasible, nodes);
  if (!scored.status.isSuccess()) throw new Error(`${scored.status.plugin}: ${scored.status.message()}`);
  return {
    nodeName: selectHost(scored.totals, random),
    evaluatedNodes: evaluated,
    feasibleNodes: feasible.length,
    state,
  };
}

/** The highest-scoring node; ties broken uniformly at random (reservoir sampling, as upstream). */
export function selectHost(totals: Map<string, number>, random: () => number): string {
  let best = '';
  let bestScore = -Infinity;
  let ties = 0;
  for (const [name, score] of totals) {
    if (score > bestScore) {
      best = name;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore) {
      ties++;
      if (random() * ties < 1) best = name;
    }
  }
  return best;
}

function postMessage(s: Status): string | undefined {
  return s.reasons.length ? `preemption: ${s.message()}` : undefined;
}
