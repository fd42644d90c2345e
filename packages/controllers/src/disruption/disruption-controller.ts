/**
 * The disruption controller (k8s.io/kubernetes pkg/controller/disruption): keeps each
 * PodDisruptionBudget's status (expectedPods, currentHealthy, desiredHealthy,
 * disruptionsAllowed, disruptedPods, the DisruptionAllowed condition) current from the pods it
 * covers, with @keelson/api's computePdbStatus (the same arithmetic the apiserver's eviction
 * subresource applies). Requeues a budget while it has pending disruptedPods entries so they
 * expire on time.
 */
import {
  PDB_DELETION_TIMEOUT_MS,
  computePdbStatus,
  pdbCoversPod,
  type PodDisruptionBudget,
} from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isConflictErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { Pod } from '../types';
import { deepEqual, keyOf } from '../util/objects';

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

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.pdbInformer = ctx.informers.informer<PodDisruptionBudget>('poddisruptionbudgets');
    this.podInformer = ctx.informers.informer<Pod>('pods');
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

  /** Recomputes one budget's status (key "namespace/name") and writes it when it changed. */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/');
    const pdb = this.pdbInformer.lister().get(ns, name);
    if (!pdb) return;
    const now = this.ctx.clock.now();
    const pods = this.podInformer.lister().list(ns);
    const status = computePdbStatus(pdb, pods, now);
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
