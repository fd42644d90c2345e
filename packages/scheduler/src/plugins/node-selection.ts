/**
 * Node selector and toleration matching shared by NodeAffinity, TaintToleration,
 * PodTopologySpread and DaemonSet-style checks (component-helpers scheduling/corev1).
 */
import {
  nodeSelectorTermMatches,
  podSpecMatchesNode,
  toleratesTaint,
  type Node,
  type Pod,
  type Taint,
  type Toleration,
} from '@keelson/api';

/** A node selector term matches (component-helpers MatchNodeSelectorTerms, one term). */
export const termMatches = nodeSelectorTermMatches;

/** The pod's nodeSelector and required node affinity both hold on the node. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  return podSpecMatchesNode(pod.spec, node);
}

/** Whether a toleration tolerates a taint (core/v1 Toleration.ToleratesTaint). */
export const tolerates = toleratesTaint;

/** The first taint (with one of the effects) that no toleration tolerates, if any. */
export function firstUntoleratedTaint(
  taints: Taint[] | undefined,
  tolerations: Toleration[] | undefined,
  effects: string[],
): Taint | undefined {
  return (taints ?? []).find(
    (taint) => effects.includes(taint.effect) && !(tolerations ?? []).some((t) => tolerates(t, taint)),
  );
}
