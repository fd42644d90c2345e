/**
 * The PersistentVolume controller (kube-controller-manager "persistentvolume-binder",
 * k8s.io/kubernetes pkg/controller/volume/persistentvolume): binds claims to volumes and keeps
 * both phases current.
 *
 * Claims: an unbound claim gets the best matching volume (see matching.ts): the volume's
 * `claimRef` is set first, then the claim's `spec.volumeName`, then both statuses become Bound
 * (the claim's with the volume's capacity and access modes). A claim of a WaitForFirstConsumer
 * class waits for the scheduler's `volume.kubernetes.io/selected-node` annotation and then only
 * takes volumes whose node affinity admits that node. When nothing matches and the class names a
 * provisioner, the claim is annotated `volume.kubernetes.io/storage-provisioner` (and the beta
 * spelling) for that provisioner, with an ExternalProvisioning event. A claim whose volume
 * vanished becomes Lost.
 *
 * Volumes: no claimRef → Available; claimRef to a live claim bound to it → Bound; claim gone →
 * Released, then reclaimed: Retain keeps it Released; Delete removes the volume object (the data
 * of a hand-made hostPath volume stays on its node) — unless it carries
 * `pv.kubernetes.io/provisioned-by`: deleting it and its data is then its provisioner's job. The claim's absence is confirmed with a live GET first, so a
 * stale cache never releases a volume.
 */
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  type KubeObject,
  type Node,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from '@keelson/api';
import type { EventRecorder } from '@keelson/client';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import { rfc3339 } from '../util/clock';
import { clone, keyOf } from '../util/objects';
import { claimClass, findBestMatch } from './matching';

const CLAIM = 'claim:';
const VOLUME = 'volume:';

/** The PersistentVolume binder. Queue keys: "claim:<ns>/<name>" and "volume:<name>". */
export class PersistentVolumeController extends QueueController {
  readonly name = 'persistentvolume-binder';
  private readonly claims: SharedInformerLike<PersistentVolumeClaim>;
  private readonly volumes: SharedInformerLike<PersistentVolume>;
  private readonly classes: SharedInformerLike<StorageClass>;
  private readonly nodes: SharedInformerLike<Node>;
  private readonly events: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.events = ctx.recorder('persistentvolume-controller');
    this.claims = ctx.informers.informer<PersistentVolumeClaim>('persistentvolumeclaims');
    this.volumes = ctx.informers.informer<PersistentVolume>('persistentvolumes');
    this.classes = ctx.informers.informer<StorageClass>('storageclasses');
    this.nodes = ctx.informers.informer<Node>('nodes');
    const onClaim = (c: PersistentVolumeClaim) => this.queue.add(CLAIM + keyOf(c));
    this.claims.addEventHandler({
      onAdd: onClaim,
      onUpdate: (_o, c) => onClaim(c),
      onDelete: (c) => {
        // its volume may now be released
        if (c.spec?.volumeName) this.queue.add(VOLUME + c.spec.volumeName);
        for (const pv of this.volumes.lister().list())
          if (pv.spec?.claimRef?.uid === c.metadata.uid) this.queue.add(VOLUME + pv.metadata.name);
      },
    });
    const onVolume = (pv: PersistentVolume) => {
      this.queue.add(VOLUME + pv.metadata.name);
      const ref = pv.spec?.claimRef;
      if (ref?.name) this.queue.add(`${CLAIM}${ref.namespace}/${ref.name}`);
      else if (!pv.spec?.claimRef)
        // a new Available volume may serve a pending claim
        for (const c of this.claims.lister().list()) if (!c.spec?.volumeName) onClaim(c);
    };
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv) });
  }

  private obj(o: KubeObject, kind: string): KubeObject {
    return { ...o, apiVersion: 'v1', kind } as KubeObject;
  }

  /** Converges one claim or volume. */
  async sync(key: string): Promise<SyncResult> {
    if (key.startsWith(CLAIM)) {
      const [ns, name] = key.slice(CLAIM.length).split('/') as [string, string];
      const c = this.claims.lister().get(ns, name);
      if (c) await this.syncClaim(clone(c));
    } else if (key.startsWith(VOLUME)) {
      const pv = this.volumes.lister().get(undefined, key.slice(VOLUME.length));
      if (pv) await this.syncVolume(clone(pv));
    }
  }

  private async setVolumePhase(pv: PersistentVolume, phase: string): Promise<PersistentVolume> {
    if (pv.status?.phase === phase) return pv;
    return this.ctx.client.resource<PersistentVolume>('persistentvolumes').updateStatus({
      ...pv,
      status: { ...(pv.status ?? {}), phase, lastPhaseTransitionTime: rfc3339(this.ctx.clock.now()) },
    });
  }

  private async syncClaim(c: PersistentVolumeClaim): Promise<void> {
    if (c.metadata.deletionTimestamp) return;
    const volumeName = c.spec?.volumeName;
    if (volumeName) {
      const pv = this.volumes.lister().get(undefined, volumeName);
      if (!pv) {
        if (c.status?.phase === 'Bound') {
          this.events.event(
            this.obj(c, 'PersistentVolumeClaim'),
            'Warning',
            'ClaimLost',
            'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
          );
          await this.setClaimStatus(c, { phase: 'Lost' });
        }
        return;
      }
      const ref = pv.spec?.claimRef;
      if (ref && ref.uid && ref.uid !== c.metadata.uid) {
        this.events.event(
          this.obj(c, 'PersistentVolumeClaim'),
          'Warning',
          'ClaimMisbound',
          'Two claims are bound to the same volume, this one is bound incorrectly',
        );
        return;
      }
      await this.bind(pv, c);
      return;
    }
    const cls = claimClass(c);
    const sc = cls ? this.classes.lister().get(undefined, cls) : undefined;
    const waitForConsumer = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    const selected = c.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (waitForConsumer && !selected) {
      this.events.event(
        this.obj(c, 'PersistentVolumeClaim'),
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
      );
      return;
    }
    const node = selected
      ? (this.nodes.lister().get(undefined, selected) ??
        ({ metadata: { name: selected, labels: { 'kubernetes.io/hostname': selected } } } as Node))
      : undefined;
    const pv = findBestMatch(c, this.volumes.lister().list(), node);
    if (pv) {
      await this.bind(clone(pv), c);
      return;
    }
    if (sc?.provisioner) {
      const ann = c.metadata.annotations ?? {};
      if (ann[STORAGE_PROVISIONER_ANNOTATION] !== sc.provisioner) {
        await this.ctx.client.resource<PersistentVolumeClaim>('persistentvolumeclaims').update({
          ...c,
          metadata: {
            ...c.metadata,
            annotations: {
              ...ann,
              [STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner,
              [BETA_STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner,
            },
          },
        });
      }
      this.events.event(
        this.obj(c, 'PersistentVolumeClaim'),
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      return;
    }
    this.events.event(
      this.obj(c, 'PersistentVolumeClaim'),
      'Normal',
      'FailedBinding',
      cls
        ? `storageclass.storage.k8s.io "${cls}" not found`
        : 'no persistent volumes available for this claim and no storage class is set',
    );
  }

  private async setClaimStatus(
    c: PersistentVolumeClaim,
    status: NonNullable<PersistentVolumeClaim['status']>,
  ): Promise<void> {
    const next = { ...(c.status ?? {}), ...status };
    if (JSON.stringify(next) === JSON.stringify(c.status ?? {})) return;
    await this.ctx.client
      .resource<PersistentVolumeClaim>('persistentvolumeclaims')
      .updateStatus({ ...c, status: next });
  }

  /** Binds pv ↔ c: volume claimRef, volume Bound, claim volumeName, claim Bound. Idempotent. */
  private async bind(pv: PersistentVolume, c: PersistentVolumeClaim): Promise<void> {
    const pvs = this.ctx.client.resource<PersistentVolume>('persistentvolumes');
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== c.metadata.uid || ref.name !== c.metadata.name) {
      const ann = { ...(pv.metadata.annotations ?? {}) };
      if (!ref) ann[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
      pv = await pvs.update({
        ...pv,
        metadata: { ...pv.metadata, annotations: ann },
        spec: {
          ...pv.spec,
          claimRef: {
            kind: 'PersistentVolumeClaim',
            namespace: c.metadata.namespace,
            name: c.metadata.name,
            uid: c.metadata.uid,
            apiVersion: 'v1',
            resourceVersion: c.metadata.resourceVersion,
          },
        },
      });
    }
    await this.setVolumePhase(pv, 'Bound');
    const ann = c.metadata.annotations ?? {};
    if (c.spec?.volumeName !== pv.metadata.name || ann[BIND_COMPLETED_ANNOTATION] !== 'yes') {
      const next: Record<string, string> = { ...ann, [BIND_COMPLETED_ANNOTATION]: 'yes' };
      if (!c.spec?.volumeName) next[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
      c = await this.ctx.client.resource<PersistentVolumeClaim>('persistentvolumeclaims').update({
        ...c,
        metadata: { ...c.metadata, annotations: next },
        spec: { ...c.spec, volumeName: pv.metadata.name },
      });
    }
    await this.setClaimStatus(c, {
      phase: 'Bound',
      accessModes: pv.spec?.accessModes,
      capacity: pv.spec?.capacity,
    });
  }

  private async syncVolume(pv: PersistentVolume): Promise<void> {
    if (pv.metadata.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref) {
      await this.setVolumePhase(pv, 'Available');
      return;
    }
    let claim = this.claims.lister().get(ref.namespace, ref.name!);
    if (!claim && ref.uid) {
      // the cache may be behind: ask the apiserver before releasing anything
      try {
        claim = await this.ctx.client
          .resource<PersistentVolumeClaim>('persistentvolumeclaims')
          .get(ref.namespace, ref.name!);
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    }
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) {
      if (claim.spec?.volumeName === pv.metadata.name) await this.setVolumePhase(pv, 'Bound');
      else if (!claim.spec?.volumeName) this.queue.add(CLAIM + keyOf(claim));
      else if (pv.metadata.annotations?.[BOUND_BY_CONTROLLER_ANNOTATION]) {
        // the claim went to another volume: undo our half of the binding
        const spec = { ...pv.spec };
        delete spec.claimRef;
        const next = await this.ctx.client
          .resource<PersistentVolume>('persistentvolumes')
          .update({ ...pv, spec });
        await this.setVolumePhase(next, 'Available');
      }
      return;
    }
    if (!ref.uid) {
      // pre-bound by the user to a claim that does not exist yet
      await this.setVolumePhase(pv, 'Available');
      return;
    }
    pv = await this.setVolumePhase(pv, 'Released');
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy !== 'Delete') return;
    // A provisioner deletes what it provisioned (and its data); Keelson has no in-tree deleters.
    if (pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION]) return;
    try {
      await this.ctx.client.resource('persistentvolumes').delete(undefined, pv.metadata.name!);
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
  }
}
