/**
 * PodDisruptionBudget arithmetic shared by the apiserver's eviction subresource and the
 * disruption controller (kubernetes pkg/controller/disruption): which pods a budget covers, how
 * many must stay healthy and how many evictions it allows now. The expected pod count is the
 * number of covered pods for an integer minAvailable, and the replicas of the pods' controllers
 * (see {@link expectedPdbScale}) for maxUnavailable or a percentage, as upstream's
 * getExpectedPodCount; without that scale the covered pods are counted.
 */
import { isPodReady, nowTime } from './helpers';
import { intOrPercent } from './intstr';
import { labelSelectorFromStructured } from './labels';
import type { Pod } from './core-v1';
import type { OwnerReference } from './meta';
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
 * @param controllerScale the covered pods' controllers' replicas ({@link expectedPdbScale}); used
 *   as expectedPods for maxUnavailable and percentage budgets.
 */
export function computePdbStatus(
  pdb: PodDisruptionBudget,
  pods: Pod[],
  now: number,
  controllerScale?: number,
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
  const spec = pdb.spec ?? {};
  const expected =
    pdbUsesControllerScale(pdb) && controllerScale !== undefined ? controllerScale : covered.length;
  let currentHealthy = 0;
  for (const [name, p] of live) if (isPodReady(p) && !(name in disrupted)) currentHealthy++;
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

/** True when the budget's expected pod count comes from controllers' scale (maxUnavailable or a percentage minAvailable). */
export function pdbUsesControllerScale(pdb: PodDisruptionBudget): boolean {
  const spec = pdb.spec ?? {};
  return (
    (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) ||
    typeof spec.minAvailable === 'string'
  );
}

/** What {@link expectedPdbScale} needs to know of a pod's controller. */
export interface ScaleOwner {
  uid?: string;
  replicas: number;
  /** The owner's own controller reference (a ReplicaSet's Deployment). */
  controller?: OwnerReference;
}

/**
 * The expected pod count of a budget (upstream getExpectedScale): the sum of spec.replicas of the
 * distinct controllers of the covered pods, a ReplicaSet owned by a Deployment counting as that
 * Deployment. `lookup(kind, apiVersion, namespace, name)` returns the controller (undefined when
 * gone); pods without a controller are skipped, as upstream's unmanaged pods. Returns undefined
 * when no pod has a known controller (callers then count the pods).
 */
export async function expectedPdbScale(
  pods: Pod[],
  lookup: (
    kind: string,
    apiVersion: string,
    namespace: string,
    name: string,
  ) => ScaleOwner | undefined | Promise<ScaleOwner | undefined>,
): Promise<number | undefined> {
  const seen = new Set<string>();
  let total = 0;
  let found = false;
  for (const p of pods) {
    let ref = (p.metadata.ownerReferences ?? []).find((r) => r.controller);
    const ns = p.metadata.namespace ?? '';
    if (!ref) continue;
    let owner = await lookup(ref.kind, ref.apiVersion, ns, ref.name);
    if (owner && ref.kind === 'ReplicaSet' && owner.controller?.kind === 'Deployment') {
      ref = owner.controller;
      owner = await lookup(ref.kind, ref.apiVersion, ns, ref.name);
    }
    if (!owner || (owner.uid && ref.uid && owner.uid !== ref.uid)) continue;
    const key = `${ref.kind}/${ref.name}`;
    found = true;
    if (seen.has(key)) continue;
    seen.add(key);
    total += owner.replicas;
  }
  return found ? total : undefined;
}
