/**
 * PodDisruptionBudget checks of the `pods/eviction` subresource (kubernetes
 * pkg/registry/core/pod/storage/eviction.go). The budget's status is recomputed from the pods of
 * its namespace at eviction time (computePdbStatus: Ready pods count as healthy; for maxUnavailable
 * and percentage budgets the expected count is the replicas of the pods' Deployments, ReplicaSets
 * or StatefulSets, expectedPdbScale) and written back,
 * so an eviction never acts on a stale status; a disruption controller may keep it current between
 * evictions too. Outcomes: the pod may be deleted (no budget, terminal/pending/deleting pod,
 * unhealthy pod under the budget's unhealthyPodEvictionPolicy, or a disruption is allowed — then
 * the budget's disruptionsAllowed is decremented and the pod recorded in disruptedPods), or an
 * ApiError is thrown: 429 TooManyRequests "Cannot evict pod as it would violate the pod's
 * disruption budget." with a DisruptionBudget cause, 500 when more than one budget covers the pod.
 */
import {
  computePdbStatus,
  expectedPdbScale,
  isPodReady,
  nowTime,
  pdbCoversPod,
  pdbUsesControllerScale,
  resourceForKind,
  resourceForPath,
  type KubeObject,
  type Pod,
  type PodDisruptionBudget,
  type ScaleOwner,
} from '@keelson/api';
import { ApiError, failure } from './errors';
import type { GenericRegistry } from './registry/generic-registry';

/** Upstream's message of a refused eviction. */
export const EVICTION_REFUSED_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";

/** Upper bound of pending disrupted pods a budget records (upstream MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;

const SCALABLE_KINDS = new Set(['apps/v1/Deployment', 'apps/v1/ReplicaSet', 'apps/v1/StatefulSet']);

/** A pod controller's replicas and its own controller (for expectedPdbScale); undefined when not scalable or gone. */
async function scaleOwner(
  registry: GenericRegistry,
  kind: string,
  apiVersion: string,
  namespace: string,
  name: string,
): Promise<ScaleOwner | undefined> {
  if (!SCALABLE_KINDS.has(`${apiVersion}/${kind}`)) return undefined;
  const info = resourceForKind(apiVersion, kind);
  if (!info) return undefined;
  try {
    const o = (await registry.get(info, namespace, name)) as KubeObject & { spec?: { replicas?: number } };
    return {
      uid: o.metadata.uid,
      replicas: o.spec?.replicas ?? 1,
      controller: (o.metadata.ownerReferences ?? []).find((r) => r.controller),
    };
  } catch {
    return undefined;
  }
}

function tooManyRequests(cause: string): ApiError {
  return new ApiError(
    failure(429, 'TooManyRequests', EVICTION_REFUSED_MESSAGE, {
      causes: [{ reason: 'DisruptionBudget', message: cause }],
    }),
  );
}

/**
 * Decides whether `pod` may be evicted now and, when a budget allows it, consumes one disruption.
 * Resolves when the caller may delete the pod; throws ApiError otherwise (see the file comment).
 * @param now epoch milliseconds.
 */
export async function admitEviction(registry: GenericRegistry, pod: Pod, now = Date.now()): Promise<void> {
  const phase = pod.status?.phase;
  if (pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending')
    return;
  const ns = pod.metadata.namespace ?? 'default';
  const pdbInfo = resourceForPath('policy', 'v1', 'poddisruptionbudgets')!;
  const podInfo = resourceForPath('', 'v1', 'pods')!;
  const pdbs = ((await registry.list(pdbInfo, ns)).items as PodDisruptionBudget[]).filter((b) =>
    pdbCoversPod(b, pod),
  );
  if (!pdbs.length) return;
  if (pdbs.length > 1)
    throw new ApiError(
      failure(
        500,
        'InternalError',
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      ),
    );
  let refusal: ApiError | undefined;
  await registry.guaranteedUpdate(
    pdbInfo,
    ns,
    pdbs[0].metadata.name!,
    async (cur) => {
      refusal = undefined;
      const pdb = cur as PodDisruptionBudget;
      const pods = (await registry.list(podInfo, ns)).items as Pod[];
      const scale = pdbUsesControllerScale(pdb)
        ? await expectedPdbScale(
            pods.filter((p) => pdbCoversPod(pdb, p)),
            (kind, apiVersion, namespace, name) => scaleOwner(registry, kind, apiVersion, namespace, name),
          )
        : undefined;
      const status = computePdbStatus(pdb, pods, now, scale);
      pdb.status = status;
      const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
      if (!isPodReady(pod)) {
        if (policy === 'AlwaysAllow') return pdb;
        if (status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) return pdb;
      }
      const disrupted = { ...(status.disruptedPods ?? {}) };
      if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) {
        refusal = new ApiError(
          failure(
            403,
            'Forbidden',
            'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
          ),
        );
        return pdb;
      }
      if (status.disruptionsAllowed <= 0) {
        refusal = tooManyRequests(
          `The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
        );
        return pdb;
      }
      disrupted[pod.metadata.name!] = nowTime(now);
      status.disruptedPods = disrupted;
      status.disruptionsAllowed -= 1;
      if (status.disruptionsAllowed === 0 && status.conditions?.[0]) {
        status.conditions[0] = {
          ...status.conditions[0],
          status: 'False',
          reason: 'InsufficientPods',
          lastTransitionTime: nowTime(now),
        };
      }
      return pdb;
    },
    { fieldValidation: 'Ignore' },
    'status',
  );
  if (refusal) throw refusal;
}
