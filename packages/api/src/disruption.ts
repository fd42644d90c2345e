/**
 * PodDisruptionBudget arithmetic shared by the apiserver's eviction subresource and the
 * disruption controller (kubernetes pkg/controller/disruption): which pods a budget covers, how
 * many must stay healthy and how many evictions it allows now. Deviation: the expected pod count
 * is the number of covered pods (upstream asks the pods' controllers for their scale when the
 * budget uses maxUnavailable or a percentage); equal for pods of a settled workload.
 */
import { isPodReady, nowTime } from './helpers';
import { intOrPercent } from './intstr';
import { labelSelectorFromStructured } from './labels';
import type { Pod } from './core-v1';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from './policy-v1';

/** How long an evicted pod counts as disrupted before the budget forgets it (upstream DeletionTimeout), ms. */
export const PDB_DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/**
 * True when the budget covers the pod: same namespace and the selector matches (policy/v1: an
 * absent selector covers nothing, `{}` covers every pod of the namespace). An invalid selector covers nothing.
 */
export function pdbCoversPod(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if ((pdb.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  try {
    return labelSelectorFromStructured(pdb.spec?.selector).matches(pod.metadata.labels ?? {});
  } catch {
    return false;
  }
}

/**
 * The budget's status computed from the pods of its namespace (any order; uncovered pods are
 * ignored): expectedPods, currentHealthy (covered pods that are Ready, not being deleted and not
 * recently evicted), desiredHealthy (minAvailable, or expected − maxUnavailable; percentages of
 * expected rounded up), disruptionsAllowed = max(0, currentHealthy − desiredHealthy), the
 * disruptedPods entries still pending (younger than {@link PDB_DELETION_TIMEOUT_MS} and whose pod
 * still exists undeleted), observedGeneration and the DisruptionAllowed condition
 * (SufficientPods / InsufficientPods), keeping its lastTransitionTime when the status is unchanged.
 * @param now epoch milliseconds.
 */
export function computePdbStatus(
  pdb: PodDisruptionBudget,
  pods: Pod[],
  now: number,
): PodDisruptionBudgetStatus {
  const covered = pods.filter((p) => pdbCoversPod(pdb, p));
  const live = new Map(
    covered.filter((p) => !p.metadata.deletionTimestamp).map((p) => [p.metadata.name!, p]),
  );
  const disrupted: Record<string, string> = {};
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const t = Date.parse(at);
    if (live.has(name) && !Number.isNaN(t) && t + PDB_DELETION_TIMEOUT_MS > now) disrupted[name] = at;
  }
  const expected = covered.length;
  let currentHealthy = 0;
  for (const [name, p] of live) if (isPodReady(p) && !(name in disrupted)) currentHealthy++;
  const spec = pdb.spec ?? {};
  let desiredHealthy = 0;
  try {
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      desiredHealthy = Math.max(0, expected - intOrPercent(spec.maxUnavailable, expected, true));
    } else if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      desiredHealthy = intOrPercent(spec.minAvailable, expected, true);
    }
  } catch {
    desiredHealthy = expected; // a malformed budget allows nothing
  }
  const allowed = expected > 0 ? Math.max(0, currentHealthy - desiredHealthy) : 0;
  const status = allowed > 0 ? 'True' : 'False';
  const old = (pdb.status?.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  const reason = allowed > 0 ? 'SufficientPods' : 'InsufficientPods';
  const cond = {
    type: 'DisruptionAllowed',
    status,
    observedGeneration: pdb.metadata.generation,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : nowTime(now),
    reason,
    message: '',
  } as const;
  return {
    ...(pdb.metadata.generation !== undefined ? { observedGeneration: pdb.metadata.generation } : {}),
    ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy,
    expectedPods: expected,
    conditions: [cond],
  };
}
