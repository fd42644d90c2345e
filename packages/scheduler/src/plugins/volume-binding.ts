/**
 * VolumeBinding (kube-scheduler plugins/volumebinding): a pod's persistentVolumeClaim volumes
 * constrain where it can run. PreFilter: every claim must exist and not be deleting, and an
 * unbound claim must wait for its first consumer (storage class volumeBindingMode
 * WaitForFirstConsumer) — an unbound Immediate claim makes the pod unschedulable until the
 * binder binds it. Filter: a bound volume with `spec.nodeAffinity` admits only the nodes its
 * required terms match; unbound WaitForFirstConsumer claims fit any node (Keelson's only
 * dynamic provisioner, local-path, can provision on every node). PreBind: each unbound claim gets
 * the annotation `volume.kubernetes.io/selected-node: <node>` and binding waits until the claim
 * is Bound (upstream's bindTimeoutSeconds, 600 s by default).
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from '@keelson/api';
import type {
  CycleState,
  FilterPlugin,
  PluginContext,
  PreBindPlugin,
  PreFilterPlugin,
} from '../framework/interface';
import type { NodeInfo } from '../framework/node-info';
import { Status } from '../framework/status';
import { termMatches } from './node-selection';

const STATE_KEY = 'VolumeBinding';

interface PodVolumes {
  /** Bound volumes of the pod's claims. */
  bound: PersistentVolume[];
  /** Claims waiting for their first consumer. */
  delayed: PersistentVolumeClaim[];
}

/** True when the volume's required node affinity admits the node (no affinity: every node). */
export function volumeFitsNode(pv: PersistentVolume, node: Node): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return terms.some((t) => termMatches(t, node));
}

/** The VolumeBinding plugin; skips pods without persistentVolumeClaim volumes and runs only when the cluster layer gave it {@link VolumeAccess}. */
export class VolumeBinding implements PreFilterPlugin, FilterPlugin, PreBindPlugin {
  constructor(private readonly ctx: PluginContext) {}
  name() {
    return 'VolumeBinding';
  }

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const access = this.ctx.volumes;
    const claims = (pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim);
    if (!access || claims.length === 0) {
      state.skipFilter.add(this.name());
      return { status: Status.skip() };
    }
    const ns = pod.metadata.namespace ?? 'default';
    const out: PodVolumes = { bound: [], delayed: [] };
    for (const v of claims) {
      const name = v.persistentVolumeClaim!.claimName;
      const claim = access.claim(ns, name);
      if (!claim) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" not found`) };
      if (claim.metadata.deletionTimestamp)
        return { status: Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`) };
      const volumeName = claim.spec?.volumeName;
      if (volumeName) {
        const pv = access.volume(volumeName);
        if (!pv)
          return {
            status: Status.unresolvable(`pvc(s) bound to non-existent pv(s)`),
          };
        out.bound.push(pv);
        continue;
      }
      const cls = claim.spec?.storageClassName ?? '';
      const sc = cls ? access.storageClass(cls) : undefined;
      if (cls && !sc)
        return { status: Status.unresolvable(`storageclass.storage.k8s.io "${cls}" not found`) };
      if (sc?.volumeBindingMode !== 'WaitForFirstConsumer')
        return { status: Status.unresolvable('pod has unbound immediate PersistentVolumeClaims') };
      out.delayed.push(claim);
    }
    state.write(STATE_KEY, out);
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, node: NodeInfo): Status {
    const vols = state.read<PodVolumes>(STATE_KEY);
    if (!vols) return Status.success();
    for (const pv of vols.bound)
      if (!volumeFitsNode(pv, node.node))
        return Status.unresolvable('node(s) had volume node affinity conflict');
    return Status.success();
  }

  async preBind(state: CycleState, _pod: Pod, nodeName: string): Promise<Status> {
    const vols = state.read<PodVolumes>(STATE_KEY);
    const access = this.ctx.volumes;
    if (!vols?.delayed.length || !access) return Status.success();
    try {
      for (const claim of vols.delayed) await access.selectNode(claim, nodeName);
      return Status.success();
    } catch (err) {
      return Status.error(`binding volumes: ${(err as Error).message}`, err);
    }
  }
}
