/**
 * Taint and toleration arithmetic for node lifecycle (k8s.io/api core/v1 Toleration.ToleratesTaint,
 * pkg/controller/tainteviction getMinTolerationTime, nodelifecycle's condition → taint map).
 */
import { toleratesTaint } from '@keelson/api';
import type { GenericCondition, Pod, Taint, Toleration } from '../types';
import { parseTime } from '../util/clock';

/** Taint keys the node lifecycle controller manages. */
export const TaintKeys = {
  NotReady: 'node.kubernetes.io/not-ready',
  Unreachable: 'node.kubernetes.io/unreachable',
} as const;

/** toleration.ToleratesTaint (one implementation, in @keelson/api). */
export const tolerates = toleratesTaint;

/**
 * The taints a node should carry for its Ready condition: Unknown → unreachable NoExecute +
 * NoSchedule; False → not-ready NoExecute + NoSchedule; True → none. `timeAdded` is kept from
 * `current` taints with the same key and effect.
 */
export function desiredLifecycleTaints(
  ready: GenericCondition | undefined,
  current: Taint[],
  nowIso: string,
): Taint[] {
  const status = ready?.status ?? 'Unknown';
  const key = status === 'True' ? undefined : status === 'False' ? TaintKeys.NotReady : TaintKeys.Unreachable;
  const others = current.filter((t) => t.key !== TaintKeys.NotReady && t.key !== TaintKeys.Unreachable);
  if (!key) return others;
  const keep = (effect: string): Taint => {
    const prev = current.find((t) => t.key === key && t.effect === effect);
    return effect === 'NoExecute' ? { key, effect, timeAdded: prev?.timeAdded ?? nowIso } : { key, effect };
  };
  return [...others, keep('NoSchedule'), keep('NoExecute')];
}

/** Defaults applied when a pod has no toleration for the not-ready/unreachable NoExecute taint. */
export interface DefaultTolerationSeconds {
  notReady: number;
  unreachable: number;
}

/**
 * When a pod on a node with `taints` must be evicted: 'never' when every NoExecute taint is
 * tolerated forever; an epoch-ms instant otherwise (now when some taint is not tolerated; else
 * the earliest timeAdded + tolerationSeconds). Pods without a not-ready/unreachable toleration
 * get the default seconds as if the DefaultTolerationSeconds admission plugin had added them.
 */
export function evictionTime(
  pod: Pod,
  taints: Taint[],
  defaults: DefaultTolerationSeconds,
  now: number,
): number | 'never' {
  const noExec = taints.filter((t) => t.effect === 'NoExecute');
  if (noExec.length === 0) return 'never';
  const tols: Toleration[] = [...(pod.spec?.tolerations ?? [])];
  for (const [key, secs] of [
    [TaintKeys.NotReady, defaults.notReady],
    [TaintKeys.Unreachable, defaults.unreachable],
  ] as const) {
    const probe: Taint = { key, effect: 'NoExecute' };
    if (!tols.some((t) => tolerates(t, probe)))
      tols.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: secs });
  }
  let at: number | 'never' = 'never';
  for (const taint of noExec) {
    const matching = tols.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return now;
    // getMinTolerationTime: the smallest finite tolerationSeconds; none → forever.
    const secs = matching
      .map((t) => t.tolerationSeconds)
      .filter((s): s is number => s !== undefined && s !== null);
    if (secs.length === 0) continue;
    const min = Math.max(0, Math.min(...secs));
    const added = parseTime(taint.timeAdded) ?? now;
    const due = added + min * 1000;
    at = at === 'never' ? due : Math.min(at, due);
  }
  return at;
}
