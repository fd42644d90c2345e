/**
 * The disruption controller (k8s.io/kubernetes pkg/controller/disruption): keeps each
 * PodDisruptionBudget's status (expectedPods, currentHealthy, desiredHealthy,
 * disruptionsAllowed, disruptedPods, the DisruptionAllowed condition) current from the pods it
 * covers, with @keelson/api's computePdbStatus (the same arithmetic the apiserver's eviction
 * subresource applies); maxUnavailable and percentage budgets expect the replicas of the pods'
 * Deployments/ReplicaSets/StatefulSets (expectedPdbScale, from the informer caches). Requeues a budget while it has pending disruptedPods entries so they
 * expire on time.
 */
import {
  PDB_DELETION_TIMEOUT_MS,
  computePdbStatus,
  expectedPdbScale,
  pdbCoversPod,
  pdbUsesControllerScale,
  type KubeObject,
  type PodDisruptionBudget,
  type ScaleOwner,
} from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isConflictErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { Pod } from '../types';
import { deepEqual, keyOf } from '../util/objects';

type ScalableObject = KubeObject & { spec?: { replicas?: number } };

/** Status without the condition timestamps, to tell a real change from a recomputation. */
function comparable(s: PodDisruptionBudget['status']): unknown {
  if (!s) return undefined;
  return { ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: undefined })) };
}

/** The disruption controller. */
export class DisruptionController extends QueueController {
  readonly name = 'disruption';
  private readonly pdbInformer: SharedInformerLike<PodDisruptionBudget>;
  private readonly podInformer: SharedInformerLike<Pod>;
  private readonly owners: Record<string, SharedInformerLike<ScalableObject>>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.pdbInformer = ctx.informers.informer<PodDisruptionBudget>('poddisruptionbudgets');
    this.podInformer = ctx.informers.informer<Pod>('pods');
    this.owners = {
      Deployment: ctx.informers.informer<ScalableObject>('deployments'),
      ReplicaSet: ctx.informers.informer<ScalableObject>('replicasets'),
      StatefulSet: ctx.informers.informer<ScalableObject>('statefulsets'),
    };
    this.pdbInformer.addEventHandler({
      onAdd: (p) => this.queue.add(keyOf(p)),
      onUpdate: (_o, p) => this.queue.add(keyOf(p)),
    });
    const podChanged = (p: Pod) => {
      for (const b of this.pdbInformer.lister().list(p.metadata.namespace))
        if (pdbCoversPod(b, p)) this.queue.add(keyOf(b));
    };
    this.podInformer.addEventHandler({
      onAdd: podChanged,
      onUpdate: (o, n) => {
        podChanged(o);
        podChanged(n);
      },
      onDelete: podChanged,
    });
  }

  /** A Deployment/ReplicaSet/StatefulSet from the informer caches, for expectedPdbScale. */
  private scaleOwner(
    kind: string,
    apiVersion: string,
    namespace: string,
    name: string,
  ): ScaleOwner | undefined {
    const inf = apiVersion === 'apps/v1' ? this.owners[kind] : undefined;
    const o = inf?.lister().get(namespace, name);
    if (!o) return undefined;
    return {
      uid: o.metadata.uid,
      replicas: o.spec?.replicas ?? 1,
      controller: (o.metadata.ownerReferences ?? []).find((r) => r.controller),
    };
  }

  /** Recomputes one budget's status (key "namespace/name") and writes it when it changed. */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/');
    const pdb = this.pdbInformer.lister().get(ns, name);
    if (!pdb) return;
    const now = this.ctx.clock.now();
    const pods = this.podInformer.lister().list(ns);
    const scale = pdbUsesControllerScale(pdb)
      ? await expectedPdbScale(
          pods.filter((p) => pdbCoversPod(pdb, p)),
          (kind, apiVersion, namespace, n) => this.scaleOwner(kind, apiVersion, namespace, n),
        )
      : undefined;
    const status = computePdbStatus(pdb, pods, now, scale);
    if (!deepEqual(comparable(pdb.status), comparable(status))) {
      const rc = this.ctx.client.resource<PodDisruptionBudget>('poddisruptionbudgets');
      try {
        await rc.updateStatus({ ...pdb, status });
      } catch (e) {
        if (isNotFoundErr(e)) return;
        if (!isConflictErr(e)) throw e;
        return { requeueAfterMs: 0 };
      }
    }
    const pending = Object.values(status.disruptedPods ?? {}).map(
      (t) => Date.parse(t) + PDB_DELETION_TIMEOUT_MS,
    );
    if (pending.length) return { requeueAfterMs: Math.max(0, Math.min(...pending) - now) + 1000 };
  }
}
