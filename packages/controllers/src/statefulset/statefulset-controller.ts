/**
 * The StatefulSet controller (k8s.io/kubernetes pkg/controller/statefulset): pods named
 * `<set>-<ordinal>` with hostname = pod name and subdomain = spec.serviceName, created in
 * ordinal order and deleted from the highest ordinal (OrderedReady: one at a time, waiting for
 * Running+Ready; Parallel: all at once). Templates are versioned as ControllerRevisions; pods
 * carry controller-revision-hash. RollingUpdate replaces pods whose revision is not the update
 * revision from the highest ordinal down to `partition`, one at a time; OnDelete only gives
 * recreated pods the new revision. volumeClaimTemplates become claims `<template>-<set>-<ordinal>`,
 * created before their pod and mounted by it; they outlive pods and scale-down (the default
 * persistentVolumeClaimRetentionPolicy Retain; whenDeleted Delete lets the set own them;
 * whenScaled Delete is not implemented: condemned pods' claims are kept).
 */
import type { EventRecorder } from '@keelson/client';
import type { KubeObject, PersistentVolumeClaim } from '@keelson/api';
import { ownedOrOrphans } from '../runtime/informer';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isAlreadyExistsErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { ControllerRevision, Pod, StatefulSet } from '../types';
import { claimObjects, liveOwnerCheck } from '../util/claim';
import { clone, controllerOf, controllerRef, deepEqual, keyOf } from '../util/objects';
import { emptyPodSpec, isPodAvailable, isPodReady } from '../util/pods';
import { selectorMatcher } from '../util/selectors';
import {
  CONTROLLER_REVISION_HASH,
  ensureRevision,
  ownedRevisions,
  revisionTemplate,
  truncateHistory,
} from '../util/revisions';

/** Pod label with the pod's own name. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** Pod label with the ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal of a pod named `<set>-<n>`, or -1. */
export function ordinalOf(set: StatefulSet, p: Pod): number {
  const prefix = `${set.metadata.name}-`;
  const n = p.metadata.name!;
  if (!n.startsWith(prefix)) return -1;
  const rest = n.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : -1;
}

/** The pod for ordinal `ord` from `template` at revision `rev` (newStatefulSetPod). */
export function statefulPod(
  set: StatefulSet,
  template: StatefulSet['spec']['template'],
  rev: ControllerRevision,
  ord: number,
): Pod {
  const name = `${set.metadata.name}-${ord}`;
  const md = template.metadata ?? {};
  const spec = clone(template.spec ?? emptyPodSpec());
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...(md.labels ?? {}),
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ord),
        [CONTROLLER_REVISION_HASH]: rev.metadata.name!,
      },
      ownerReferences: [controllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
  if (md.annotations) pod.metadata.annotations = clone(md.annotations);
  // updateStorage: each claim template becomes the pod's volume of that name.
  const templates = set.spec.volumeClaimTemplates ?? [];
  if (templates.length) {
    const claimVolumes = templates.map((t) => ({
      name: t.metadata.name!,
      persistentVolumeClaim: { claimName: claimName(set, t, ord) },
    }));
    const names = new Set(claimVolumes.map((v) => v.name));
    spec.volumes = [...(spec.volumes ?? []).filter((v) => !names.has(v.name)), ...claimVolumes];
  }
  return pod;
}

/** The claim of template `t` for ordinal `ord`: `<template>-<set>-<ordinal>`. */
export function claimName(set: StatefulSet, t: PersistentVolumeClaim, ord: number): string {
  return `${t.metadata.name}-${set.metadata.name}-${ord}`;
}

/**
 * The claims of ordinal `ord` (getPersistentVolumeClaims): each template with its claim name,
 * the set's namespace, and the template's labels plus the set's selector matchLabels. With
 * persistentVolumeClaimRetentionPolicy.whenDeleted "Delete" the set owns them (the garbage
 * collector deletes them with the set); by default (Retain) nothing owns them.
 */
export function statefulClaims(set: StatefulSet, ord: number): PersistentVolumeClaim[] {
  return (set.spec.volumeClaimTemplates ?? []).map((t) => {
    const c: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(set, t, ord),
        namespace: set.metadata.namespace,
        labels: { ...(t.metadata.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) },
      },
      spec: clone(t.spec ?? {}),
    };
    if (t.metadata.annotations) c.metadata.annotations = clone(t.metadata.annotations);
    if (set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete')
      c.metadata.ownerReferences = [{ ...controllerRef(set, 'apps/v1', 'StatefulSet'), controller: false }];
    return c;
  });
}

const healthy = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p) && !p.metadata.deletionTimestamp;

/** The StatefulSet controller. Events: SuccessfulCreate ("create Pod x in StatefulSet y successful"), SuccessfulDelete. */
export class StatefulSetController extends QueueController {
  readonly name = 'statefulset';
  private readonly sets: SharedInformerLike<StatefulSet>;
  private readonly pods: SharedInformerLike<Pod>;
  private readonly revs: SharedInformerLike<ControllerRevision>;
  private readonly claims: SharedInformerLike<PersistentVolumeClaim>;
  private readonly events: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.events = ctx.recorder('statefulset-controller');
    this.sets = ctx.informers.informer<StatefulSet>('statefulsets');
    this.pods = ctx.informers.informer<Pod>('pods');
    this.revs = ctx.informers.informer<ControllerRevision>('controllerrevisions');
    this.claims = ctx.informers.informer<PersistentVolumeClaim>('persistentvolumeclaims');
    this.sets.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, s) => this.queue.add(keyOf(s)),
    });
    const byPod = (p: Pod) => {
      const ref = controllerOf(p);
      if (ref?.kind === 'StatefulSet') this.queue.add(`${p.metadata.namespace}/${ref.name}`);
      else if (!ref)
        for (const s of this.sets.lister().list(p.metadata.namespace))
          if (selectorMatcher(s.spec.selector)(p.metadata.labels)) this.queue.add(keyOf(s));
    };
    this.pods.addEventHandler({ onAdd: byPod, onUpdate: (_o, p) => byPod(p), onDelete: byPod });
  }

  private obj(s: StatefulSet): KubeObject {
    return { ...s, apiVersion: 'apps/v1', kind: 'StatefulSet' } as KubeObject;
  }

  /** Converges one StatefulSet ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const cached = this.sets.lister().get(ns, name);
    if (!cached) return;
    const set = clone(cached);
    const client = this.ctx.client;
    const pc = client.resource<Pod>('pods');
    const match = selectorMatcher(set.spec.selector);
    const pods = (
      await claimObjects(
        {
          owner: set,
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          match,
          canAdopt: liveOwnerCheck(client.resource('statefulsets'), set),
        },
        ownedOrOrphans(this.pods.lister(), ns, set.metadata.uid!),
        pc,
      )
    ).filter((p) => ordinalOf(set, p) >= 0);
    let revisions = ownedRevisions(set, this.revs.lister().list(ns));
    const ensured = await ensureRevision(
      client,
      set,
      'StatefulSet',
      revisions,
      set.spec.selector.matchLabels ?? {},
      set.status?.collisionCount,
    );
    revisions = ensured.revisions;
    const updateRev = ensured.revision;
    const currentRev = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRev;
    const replicas = set.spec.replicas ?? 1;
    const ordered = (set.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const byOrd = new Map<number, Pod>();
    for (const p of pods) byOrd.set(ordinalOf(set, p), p);
    // newVersionedStatefulSetPod: below the partition, pods keep the current revision.
    const revFor = (ord: number) =>
      rolling && currentRev.metadata.name !== updateRev.metadata.name && ord < partition
        ? currentRev
        : updateRev;
    // createPersistentVolumeClaims: every claim of the ordinal exists before its pod is made.
    const ensureClaims = async (ord: number) => {
      for (const claim of statefulClaims(set, ord)) {
        const cached = this.claims.lister().get(ns, claim.metadata.name!);
        if (cached) {
          if (cached.metadata.deletionTimestamp)
            throw new Error(`pvc ${claim.metadata.name} is being deleted`);
          continue;
        }
        try {
          await client.resource<PersistentVolumeClaim>('persistentvolumeclaims').create(claim);
          this.events.event(
            this.obj(set),
            'Normal',
            'SuccessfulCreate',
            `create Claim ${claim.metadata.name} Pod ${set.metadata.name}-${ord} in StatefulSet ${set.metadata.name} success`,
          );
        } catch (e) {
          if (isAlreadyExistsErr(e)) continue;
          this.events.event(
            this.obj(set),
            'Warning',
            'FailedCreate',
            `create Claim ${claim.metadata.name} for Pod ${set.metadata.name}-${ord} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`,
          );
          throw e;
        }
      }
    };
    const create = async (ord: number) => {
      const rev = revFor(ord);
      const pod = statefulPod(set, revisionTemplate(rev), rev, ord);
      await ensureClaims(ord);
      try {
        await pc.create(pod);
        this.events.event(
          this.obj(set),
          'Normal',
          'SuccessfulCreate',
          `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
        );
      } catch (e) {
        if (!isAlreadyExistsErr(e)) {
          this.events.event(
            this.obj(set),
            'Warning',
            'FailedCreate',
            `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`,
          );
          throw e;
        }
      }
    };
    const del = async (p: Pod) => {
      try {
        await pc.delete(ns, p.metadata.name!);
        this.events.event(
          this.obj(set),
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`,
        );
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    };
    await (async () => {
      if (set.metadata.deletionTimestamp) return;
      // Replicas: create missing / replace failed pods in ordinal order.
      for (let ord = 0; ord < replicas; ord++) {
        const p = byOrd.get(ord);
        if (!p) {
          await create(ord);
          if (ordered) return;
          continue;
        }
        if (!p.metadata.deletionTimestamp) await ensureClaims(ord);
        if (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') {
          if (!p.metadata.deletionTimestamp) await del(p);
          if (ordered) return;
          continue;
        }
        if (ordered && !healthy(p)) return;
      }
      // Condemned: ordinals >= replicas, highest first.
      const condemned = [...byOrd.entries()].filter(([o]) => o >= replicas).sort((a, b) => b[0] - a[0]);
      for (const [, p] of condemned) {
        if (p.metadata.deletionTimestamp) {
          if (ordered) return;
          continue;
        }
        if (ordered && [...byOrd.values()].some((x) => !healthy(x) && x !== p)) return;
        await del(p);
        if (ordered) return;
      }
      // Rolling update: highest ordinal first, down to the partition, one at a time.
      if (!rolling) return;
      for (let ord = 0; ord < replicas; ord++) {
        const p = byOrd.get(ord);
        if (!p || !healthy(p)) return;
      }
      for (let ord = replicas - 1; ord >= partition; ord--) {
        const p = byOrd.get(ord)!;
        if (p.metadata.labels?.[CONTROLLER_REVISION_HASH] !== updateRev.metadata.name) {
          await del(p);
          return;
        }
      }
    })();
    // Status.
    const now = this.ctx.clock.now();
    const live = pods;
    const st: NonNullable<StatefulSet['status']> = {
      observedGeneration: set.metadata.generation ?? 0,
      replicas: live.filter((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded').length,
      readyReplicas: live.filter((p) => isPodReady(p)).length,
      availableReplicas: live.filter((p) => isPodAvailable(p, set.spec.minReadySeconds ?? 0, now)).length,
      currentReplicas: live.filter(
        (p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === currentRev.metadata.name,
      ).length,
      updatedReplicas: live.filter(
        (p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === updateRev.metadata.name,
      ).length,
      currentRevision: currentRev.metadata.name,
      updateRevision: updateRev.metadata.name,
      collisionCount: set.status?.collisionCount ?? 0,
    };
    if (st.updatedReplicas === replicas && st.readyReplicas === replicas && st.replicas === replicas) {
      st.currentRevision = updateRev.metadata.name;
      st.currentReplicas = st.updatedReplicas;
    }
    const prev: Partial<NonNullable<StatefulSet['status']>> = set.status ?? {};
    if (!deepEqual({ ...prev, conditions: undefined }, { ...st, conditions: undefined })) {
      await client.resource<StatefulSet>('statefulsets').updateStatus({
        ...set,
        status: { ...st, ...(prev.conditions ? { conditions: prev.conditions } : {}) },
      });
    }
    await truncateHistory(
      client,
      revisions,
      new Set([
        st.currentRevision!,
        st.updateRevision!,
        ...pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? ''),
      ]),
      set.spec.revisionHistoryLimit ?? 10,
    );
  }
}
