/**
 * Storage object in-use protection (k8s.io/kubernetes pkg/controller/volume/pvcprotection and
 * pvprotection): the apiserver gives every claim the finalizer `kubernetes.io/pvc-protection`
 * and every volume `kubernetes.io/pv-protection`. "pvc-protection" removes the claim's finalizer
 * once it is being deleted and no pod that has not terminated uses it (checked in the cache, then
 * confirmed with a live list of the namespace's pods); "pv-protection" removes the volume's once
 * it is being deleted and not Bound. So deleting a claim a pod still mounts leaves it
 * Terminating until the pod is gone, and its volume (and data) is not reclaimed before.
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import { keyOf } from '../util/objects';

/** The claim finalizer. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
/** The volume finalizer. */
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

const terminated = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** True when a pod that has not terminated mounts the claim `name`. */
export function podUsesClaim(p: Pod, name: string): boolean {
  return !terminated(p) && (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name);
}

/** The "pvc-protection" controller. Keys: "<namespace>/<claim>". */
export class PvcProtectionController extends QueueController {
  readonly name = 'pvc-protection';
  private readonly claims: SharedInformerLike<PersistentVolumeClaim>;
  private readonly pods: SharedInformerLike<Pod>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.claims = ctx.informers.informer<PersistentVolumeClaim>('persistentvolumeclaims');
    this.pods = ctx.informers.informer<Pod>('pods');
    const onClaim = (c: PersistentVolumeClaim) => {
      if (c.metadata.deletionTimestamp && c.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER))
        this.queue.add(keyOf(c));
    };
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c) });
    const onPod = (p: Pod) => {
      for (const v of p.spec?.volumes ?? []) {
        const name = v.persistentVolumeClaim?.claimName;
        const c = name ? this.claims.lister().get(p.metadata.namespace, name) : undefined;
        if (c) onClaim(c);
      }
    };
    this.pods.addEventHandler({ onUpdate: (_o, p) => onPod(p), onDelete: onPod });
  }

  /** Removes the finalizer of a deleting claim no running pod uses. */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const c = this.claims.lister().get(ns, name);
    if (!c?.metadata.deletionTimestamp || !c.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    if (
      this.pods
        .lister()
        .list(ns)
        .some((p) => podUsesClaim(p, name))
    )
      return;
    const live = await this.ctx.client.resource<Pod>('pods').list(ns);
    if (live.items.some((p) => podUsesClaim(p, name))) return;
    try {
      await this.ctx.client.resource<PersistentVolumeClaim>('persistentvolumeclaims').update({
        ...c,
        metadata: {
          ...c.metadata,
          finalizers: c.metadata.finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER),
        },
      });
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
  }
}

/** The "pv-protection" controller. Keys: volume names. */
export class PvProtectionController extends QueueController {
  readonly name = 'pv-protection';
  private readonly volumes: SharedInformerLike<PersistentVolume>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.volumes = ctx.informers.informer<PersistentVolume>('persistentvolumes');
    const onVolume = (pv: PersistentVolume) => {
      if (pv.metadata.deletionTimestamp && pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER))
        this.queue.add(pv.metadata.name!);
    };
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv) });
  }

  /** Removes the finalizer of a deleting volume that is not Bound. */
  async sync(key: string): Promise<SyncResult> {
    const pv = this.volumes.lister().get(undefined, key);
    if (!pv?.metadata.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
    if (pv.status?.phase === 'Bound') return;
    try {
      await this.ctx.client.resource<PersistentVolume>('persistentvolumes').update({
        ...pv,
        metadata: {
          ...pv.metadata,
          finalizers: pv.metadata.finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER),
        },
      });
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
  }
}
