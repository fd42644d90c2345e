/**
 * Pod predicates and the ActivePods deletion ordering (k8s.io/kubernetes
 * pkg/controller/controller_utils.go and pkg/api/v1/pod/util.go).
 */
import type { PodSpec } from '@keelson/api';
import type { Pod } from '../types';
import { parseTime } from './clock';

/** Pod phase rank for deletion ordering: Pending < Unknown < Running. */
const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** A PodSpec with no containers: the base when a template has no spec (validation would reject the pod). */
export function emptyPodSpec(): PodSpec {
  return { containers: [] };
}

/** The Ready condition of a pod, if reported. */
export function podReadyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * podutil.IsPodAvailable: ready for at least `minReadySeconds` at time `now` (epoch ms).
 * With minReadySeconds 0, ready means available.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = parseTime(c.lastTransitionTime);
  return t !== undefined && t + minReadySeconds * 1000 <= now;
}

/** controller.IsPodActive: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p !== 'Succeeded' && p !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** Pod is terminal (Succeeded or Failed). */
export function isPodTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/** Sum of container restart counts (upstream uses the max over containers; same order in practice). */
export function maxRestarts(pod: Pod): number {
  let m = 0;
  for (const s of pod.status?.containerStatuses ?? []) m = Math.max(m, s.restartCount ?? 0);
  return m;
}

/** The controller.kubernetes.io/pod-deletion-cost annotation (0 when absent/invalid). */
export function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  const n = v === undefined ? 0 : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Comparator for ActivePodsWithRanks: negative when `a` should be deleted before `b`.
 * 1. unassigned < assigned; 2. Pending < Unknown < Running; 3. not ready < ready;
 * 4. lower pod-deletion-cost first; 5. higher rank (more related pods on the same node) first;
 * 6. ready for less time first; 7. more restarts first; 8. newer first.
 * `rank` maps a pod to its rank (default 0).
 */
export function compareForDeletion(
  a: Pod,
  b: Pod,
  rank: (p: Pod) => number = () => 0,
  now = Date.now(),
): number {
  const an = !!a.spec?.nodeName;
  const bn = !!b.spec?.nodeName;
  if (an !== bn) return an ? 1 : -1;
  const ap = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const bp = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a);
  const br = isPodReady(b);
  if (ar !== br) return ar ? 1 : -1;
  const ac = deletionCost(a);
  const bc = deletionCost(b);
  if (ac !== bc) return ac - bc;
  const ark = rank(a);
  const brk = rank(b);
  if (ark !== brk) return brk - ark;
  if (ar && br) {
    const at = parseTime(podReadyCondition(a)?.lastTransitionTime) ?? now;
    const bt = parseTime(podReadyCondition(b)?.lastTransitionTime) ?? now;
    // Ready for less time (later transition) first.
    if (at !== bt) return bt - at;
  }
  const rs = maxRestarts(b) - maxRestarts(a);
  if (rs !== 0) return rs;
  const act = parseTime(a.metadata.creationTimestamp);
  const bct = parseTime(b.metadata.creationTimestamp);
  if (act !== bct) {
    if (act === undefined) return -1;
    if (bct === undefined) return 1;
    return bct - act;
  }
  return 0;
}

/** Pod key helper. */
export function podKey(p: Pod): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}
