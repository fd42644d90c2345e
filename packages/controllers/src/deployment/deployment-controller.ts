/**
 * The Deployment controller (k8s.io/kubernetes pkg/controller/deployment): owns ReplicaSets,
 * one per pod template (named `<deployment>-<pod-template-hash>`), and moves replicas from the
 * old ones to the new one — RollingUpdate within maxSurge / maxUnavailable, or Recreate — while
 * keeping revisions, history cleanup, proportional scaling, pause, and the Progressing /
 * Available conditions as upstream does. Rollback (`kubectl rollout undo`) is a template
 * change on the client side; the controller finds the old ReplicaSet with the same template,
 * reuses it and gives it the next revision.
 */
import type { EventRecorder } from '@keelson/client';
import type { KubeObject } from '@keelson/api';
import { ownedOrOrphans } from '../runtime/informer';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isAlreadyExistsErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { Deployment, Pod, ReplicaSet } from '../types';
import { parseTime } from '../util/clock';
import { claimObjects, liveOwnerCheck } from '../util/claim';
import { clone, controllerOf, controllerRef, deepEqual, keyOf } from '../util/objects';
import { selectorIsEmpty, selectorMatcher } from '../util/selectors';
import {
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  POD_TEMPLATE_HASH,
  REVISION,
  Reasons,
  activeSets,
  byCreation,
  calculateStatus,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  findActiveOrLatest,
  findNewReplicaSet,
  getCondition,
  isRollingUpdate,
  isSaturated,
  isScalingEvent,
  maxRevision,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  planOldScaleDown,
  progressDeadline,
  proportionalScale,
  removeCondition,
  replicasOf,
  revisionOf,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './deployment-util';

/** The Deployment controller. Events: ScalingReplicaSet, SelectingAll, DeploymentRollback... */
export class DeploymentController extends QueueController {
  readonly name = 'deployment';
  private readonly dInformer: SharedInformerLike<Deployment>;
  private readonly rsInformer: SharedInformerLike<ReplicaSet>;
  private readonly podInformer: SharedInformerLike<Pod>;
  private readonly events: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.events = ctx.recorder('deployment-controller');
    this.dInformer = ctx.informers.informer<Deployment>('deployments');
    this.rsInformer = ctx.informers.informer<ReplicaSet>('replicasets');
    this.podInformer = ctx.informers.informer<Pod>('pods');
    this.dInformer.addEventHandler({
      onAdd: (d) => this.queue.add(keyOf(d)),
      onUpdate: (_o, d) => this.queue.add(keyOf(d)),
      onDelete: (d) => this.queue.add(keyOf(d)),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.rsChanged(rs),
      onUpdate: (o, rs) => {
        const oref = controllerOf(o);
        if (oref && oref.uid !== controllerOf(rs)?.uid) this.enqueueOwner(o);
        this.rsChanged(rs);
      },
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.podInformer.addEventHandler({
      onDelete: (p) => {
        // Recreate waits for old pods to be gone.
        const ref = controllerOf(p);
        if (!ref || ref.kind !== 'ReplicaSet') return;
        const rs = this.rsInformer.lister().get(p.metadata.namespace, ref.name);
        if (rs) this.enqueueOwner(rs);
      },
    });
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const ref = controllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return;
    const d = this.dInformer.lister().get(rs.metadata.namespace, ref.name);
    if (d && d.metadata.uid === ref.uid) this.queue.add(keyOf(d));
  }

  private rsChanged(rs: ReplicaSet): void {
    if (controllerOf(rs)) return this.enqueueOwner(rs);
    for (const d of this.dInformer.lister().list(rs.metadata.namespace)) {
      if (selectorMatcher(d.spec.selector)(rs.metadata.labels)) this.queue.add(keyOf(d));
    }
  }

  private get rsClient() {
    return this.ctx.client.resource<ReplicaSet>('replicasets');
  }
  private get dClient() {
    return this.ctx.client.resource<Deployment>('deployments');
  }

  private dObj(d: Deployment): KubeObject {
    return { ...d, apiVersion: 'apps/v1', kind: 'Deployment' } as KubeObject;
  }

  /** Converges one Deployment ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const cached = this.dInformer.lister().get(ns, name);
    if (!cached) return;
    const s = new DeploymentSync(this, clone(cached));
    return s.run(ns);
  }

  /** @internal used by DeploymentSync */
  get internals() {
    return {
      ctx: this.ctx,
      events: this.events,
      rsLister: this.rsInformer.lister(),
      podLister: this.podInformer.lister(),
      rsClient: this.rsClient,
      dClient: this.dClient,
      dObj: (d: Deployment) => this.dObj(d),
    };
  }
}

/** One sync of one Deployment; holds the freshest copy of the Deployment across writes. */
class DeploymentSync {
  private readonly x: DeploymentController['internals'];
  private requeueMs?: number;

  constructor(
    c: DeploymentController,
    private d: Deployment,
  ) {
    this.x = c.internals;
  }

  private now(): number {
    return this.x.ctx.clock.now();
  }

  async run(ns: string): Promise<SyncResult> {
    const d = this.d;
    if (selectorIsEmpty(d.spec.selector)) {
      this.x.events.event(
        this.x.dObj(d),
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.writeStatus({ ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      }
      return;
    }
    const match = selectorMatcher(d.spec.selector);
    let rsList = await claimObjects(
      {
        owner: d,
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        match,
        canAdopt: liveOwnerCheck(this.x.dClient, d),
      },
      ownedOrOrphans(this.x.rsLister, ns, d.metadata.uid!).map((r) => clone(r)),
      this.x.rsClient,
    );
    rsList = rsList.map((r) => clone(r));
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await this.getAll(rsList, false);
      await this.syncStatusOnly([...oldRSs, newRS], newRS);
      return;
    }
    await this.checkPausedConditions();
    if (this.d.spec.paused) {
      await this.syncScaleOnly(rsList);
      return this.result();
    }
    {
      const { newRS, oldRSs } = this.split(rsList);
      if (isScalingEvent(this.d, [...oldRSs, newRS])) {
        await this.syncScaleOnly(rsList);
        return this.result();
      }
    }
    if (isRollingUpdate(this.d)) await this.rolloutRolling(rsList);
    else await this.rolloutRecreate(rsList);
    return this.result();
  }

  private result(): SyncResult {
    return this.requeueMs !== undefined ? { requeueAfterMs: this.requeueMs } : undefined;
  }

  private split(rsList: ReplicaSet[]): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
    const newRS = findNewReplicaSet(this.d, rsList);
    return { newRS, oldRSs: rsList.filter((r) => r !== newRS) };
  }

  private async writeStatus(status: NonNullable<Deployment['status']>): Promise<void> {
    if (deepEqual(this.d.status ?? {}, status)) return;
    this.d = await this.x.dClient.updateStatus({ ...this.d, status });
  }

  private async writeRevision(rev: string): Promise<void> {
    if (this.d.metadata.annotations?.[REVISION] === rev) return;
    this.d = await this.x.dClient.patch(this.d.metadata.namespace, this.d.metadata.name!, 'merge', {
      metadata: { annotations: { [REVISION]: rev } },
    });
  }

  /** getAllReplicaSetsAndSyncRevision + getNewReplicaSet. */
  private async getAll(
    rsList: ReplicaSet[],
    create: boolean,
  ): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const { newRS: existing, oldRSs } = this.split(rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const deadline = progressDeadline(this.d);
    if (existing) {
      const copy = clone(existing);
      const annChanged = setNewReplicaSetAnnotations(this.d, copy, newRevision, true);
      const mrsChanged = (copy.spec.minReadySeconds ?? 0) !== (this.d.spec.minReadySeconds ?? 0);
      let rs = existing;
      if (annChanged || mrsChanged) {
        rs = clone(
          await this.x.rsClient.patch(copy.metadata.namespace, copy.metadata.name!, 'merge', {
            metadata: { annotations: copy.metadata.annotations },
            spec: { minReadySeconds: this.d.spec.minReadySeconds ?? 0 },
          }),
        );
      }
      await this.writeRevision(rs.metadata.annotations?.[REVISION] ?? String(newRevision));
      if (deadline !== undefined && !getCondition(this.d.status?.conditions, 'Progressing')) {
        const conds = setCondition(
          this.d.status?.conditions ?? [],
          newCondition(
            'Progressing',
            'True',
            Reasons.FoundNewRS,
            `Found new replica set "${rs.metadata.name}"`,
            this.now(),
          ),
        );
        await this.writeStatus({ ...(this.d.status ?? {}), conditions: conds });
      }
      return { newRS: rs, oldRSs };
    }
    if (!create) return { oldRSs };
    const d = this.d;
    const hash = computeHash(d.spec.template, d.status?.collisionCount);
    const template = clone(d.spec.template);
    template.metadata = {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash },
    };
    const selector = clone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let already = false;
    try {
      created = clone(await this.x.rsClient.create(rs));
    } catch (e) {
      if (!isAlreadyExistsErr(e)) {
        if (deadline !== undefined) {
          const conds = setCondition(
            d.status?.conditions ?? [],
            newCondition(
              'Progressing',
              'False',
              Reasons.FailedRSCreate,
              `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`,
              this.now(),
            ),
          );
          await this.writeStatus({ ...(d.status ?? {}), conditions: conds }).catch(() => undefined);
        }
        throw e;
      }
      const live = clone(await this.x.rsClient.get(rs.metadata.namespace, rs.metadata.name!));
      if (
        controllerOf(live)?.uid === d.metadata.uid &&
        equalIgnoreHash(live.spec.template, d.spec.template)
      ) {
        created = live;
        already = true;
      } else {
        // Hash collision: bump collisionCount so the next sync computes a different name.
        await this.writeStatus({ ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 });
        throw e;
      }
    }
    if (!already && (created.spec.replicas ?? 0) > 0) {
      this.x.events.event(
        this.x.dObj(this.d),
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${created.spec.replicas}`,
      );
    }
    await this.writeRevision(String(newRevision));
    if (!already && deadline !== undefined) {
      const conds = setCondition(
        this.d.status?.conditions ?? [],
        newCondition(
          'Progressing',
          'True',
          Reasons.NewRSCreated,
          `Created new replica set "${created.metadata.name}"`,
          this.now(),
        ),
      );
      await this.writeStatus({ ...(this.d.status ?? {}), conditions: conds });
    }
    return { newRS: created, oldRSs };
  }

  /**
   * scaleReplicaSetAndRecordEvent; returns the updated set. Uses a JSON merge patch of
   * spec.replicas and the replicas annotations, so a concurrent status write by the ReplicaSet
   * controller never turns a scale into a conflict.
   */
  private async scaleRS(rs: ReplicaSet, to: number): Promise<ReplicaSet> {
    const from = rs.spec.replicas ?? 0;
    const copy = clone(rs);
    copy.spec.replicas = to;
    const annChanged = setReplicasAnnotations(
      copy,
      replicasOf(this.d),
      replicasOf(this.d) + maxSurge(this.d),
    );
    if (from === to && !annChanged) return rs;
    const a = copy.metadata.annotations!;
    const updated = clone(
      await this.x.rsClient.patch(rs.metadata.namespace, rs.metadata.name!, 'merge', {
        metadata: {
          annotations: { [DESIRED_REPLICAS]: a[DESIRED_REPLICAS], [MAX_REPLICAS]: a[MAX_REPLICAS] },
        },
        spec: { replicas: to },
      }),
    );
    if (from !== to) {
      this.x.events.event(
        this.x.dObj(this.d),
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`,
      );
    }
    return updated;
  }

  private async checkPausedConditions(): Promise<void> {
    if (progressDeadline(this.d) === undefined) return;
    const c = getCondition(this.d.status?.conditions, 'Progressing');
    if (c?.reason === Reasons.TimedOut) return;
    const pausedExists = c?.reason === Reasons.Paused;
    let cond;
    if (this.d.spec.paused && !pausedExists)
      cond = newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused', this.now());
    else if (!this.d.spec.paused && pausedExists)
      cond = newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed', this.now());
    if (cond)
      await this.writeStatus({
        ...(this.d.status ?? {}),
        conditions: setCondition(this.d.status?.conditions ?? [], cond),
      });
  }

  /** sync(): scaling and (when paused) cleanup, then status. */
  private async syncScaleOnly(rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.getAll(rsList, false);
    ({ newRS, oldRSs } = await this.scale(newRS, oldRSs));
    if (this.d.spec.paused) await this.cleanup(oldRSs);
    await this.syncStatusOnly([...oldRSs, newRS], newRS);
  }

  private async syncStatusOnly(
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
  ): Promise<void> {
    await this.writeStatus(calculateStatus(this.d, allRSs, newRS, this.now()));
  }

  private replaceIn(list: ReplicaSet[], rs: ReplicaSet): ReplicaSet[] {
    return list.map((x) => (x.metadata.name === rs.metadata.name ? rs : x));
  }

  /** DeploymentController.scale. */
  private async scale(
    newRS: ReplicaSet | undefined,
    oldRSs: ReplicaSet[],
  ): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const r = replicasOf(this.d);
    const only = findActiveOrLatest(newRS, oldRSs);
    if (only) {
      if ((only.spec.replicas ?? 0) === r) return { newRS, oldRSs };
      const up = await this.scaleRS(only, r);
      return only === newRS ? { newRS: up, oldRSs } : { newRS, oldRSs: this.replaceIn(oldRSs, up) };
    }
    if (isSaturated(this.d, newRS)) {
      for (const old of activeSets(oldRSs)) oldRSs = this.replaceIn(oldRSs, await this.scaleRS(old, 0));
      return { newRS, oldRSs };
    }
    if (isRollingUpdate(this.d)) {
      const active = activeSets([...oldRSs, newRS]);
      const sizes = proportionalScale(this.d, active);
      for (const rs of active) {
        const up = await this.scaleRS(rs, sizes.get(rs.metadata.name!)!);
        if (newRS && rs.metadata.name === newRS.metadata.name) newRS = up;
        else oldRSs = this.replaceIn(oldRSs, up);
      }
    }
    return { newRS, oldRSs };
  }

  /** cleanupDeployment: deletes the oldest fully scaled-down sets beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: ReplicaSet[]): Promise<void> {
    const limit = this.d.spec.revisionHistoryLimit ?? 10;
    const alive = oldRSs.filter((r) => !r.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    alive.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (let i = 0; i < diff; i++) {
      const rs = alive[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec.replicas ?? 0) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.x.rsClient.delete(rs.metadata.namespace, rs.metadata.name!);
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    }
  }

  private async rolloutRolling(rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.getAll(rsList, true);
    // reconcileNewReplicaSet
    if (newRS && (newRS.spec.replicas ?? 0) !== replicasOf(this.d)) {
      const target =
        (newRS.spec.replicas ?? 0) > replicasOf(this.d)
          ? replicasOf(this.d)
          : newRSNewReplicas(this.d, [...oldRSs, newRS], newRS);
      if (target !== (newRS.spec.replicas ?? 0)) {
        newRS = await this.scaleRS(newRS, target);
        await this.syncRolloutStatus([...oldRSs, newRS], newRS);
        return;
      }
    }
    // reconcileOldReplicaSets
    const steps = planOldScaleDown(this.d, activeSets(oldRSs), newRS);
    if (steps.length) {
      for (const st of steps) {
        const rs = oldRSs.find((x) => x.metadata.name === st.name)!;
        oldRSs = this.replaceIn(oldRSs, await this.scaleRS(rs, st.to));
      }
      await this.syncRolloutStatus([...oldRSs, newRS], newRS);
      return;
    }
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    await this.syncRolloutStatus([...oldRSs, newRS], newRS);
  }

  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    const oldPods = oldRSs.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
    if (oldPods > 0) return true;
    const uids = new Set(oldRSs.map((r) => r.metadata.uid));
    for (const p of this.x.podLister.list(this.d.metadata.namespace)) {
      const ref = controllerOf(p);
      if (!ref || !uids.has(ref.uid) || ref.uid === newRS?.metadata.uid) continue;
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
    return false;
  }

  private async rolloutRecreate(rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.getAll(rsList, false);
    let scaledDown = false;
    for (const old of activeSets(oldRSs)) {
      oldRSs = this.replaceIn(oldRSs, await this.scaleRS(old, 0));
      scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(newRS, oldRSs)) {
      await this.syncRolloutStatus([...oldRSs, newRS], newRS);
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = await this.getAll(rsList, true));
    if (newRS && (newRS.spec.replicas ?? 0) !== replicasOf(this.d))
      newRS = await this.scaleRS(newRS, replicasOf(this.d));
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    await this.syncRolloutStatus([...oldRSs, newRS], newRS);
  }

  /** syncRolloutStatus: status plus Progressing; schedules a recheck at the deadline. */
  private async syncRolloutStatus(
    allRSs: (ReplicaSet | undefined)[],
    newRS: ReplicaSet | undefined,
  ): Promise<void> {
    const now = this.now();
    const st = calculateStatus(this.d, allRSs, newRS, now);
    const deadline = progressDeadline(this.d);
    if (deadline === undefined) st.conditions = removeCondition(st.conditions ?? [], 'Progressing');
    const cur = getCondition(this.d.status?.conditions, 'Progressing');
    const complete = st.replicas === st.updatedReplicas && cur?.reason === Reasons.NewRSAvailable;
    if (deadline !== undefined && !complete && !this.d.spec.paused) {
      const rsName = newRS?.metadata.name;
      if (deploymentComplete(this.d, st)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${this.d.metadata.name}" has successfully progressed.`;
        st.conditions = setCondition(
          st.conditions ?? [],
          newCondition('Progressing', 'True', Reasons.NewRSAvailable, msg, now),
        );
      } else if (deploymentProgressing(this.d, st)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" is progressing.`
          : `Deployment "${this.d.metadata.name}" is progressing.`;
        const c = newCondition('Progressing', 'True', Reasons.RSUpdated, msg, now);
        if (cur && cur.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        st.conditions = [...removeCondition(st.conditions ?? [], 'Progressing'), c];
      } else if (deploymentTimedOut(this.d, st, now)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : `Deployment "${this.d.metadata.name}" has timed out progressing.`;
        st.conditions = setCondition(
          st.conditions ?? [],
          newCondition('Progressing', 'False', Reasons.TimedOut, msg, now),
        );
      }
    }
    // Surface ReplicaFailure from the new/old sets.
    const failure = allRSs
      .map((r) => getCondition(r?.status?.conditions, 'ReplicaFailure'))
      .find((c) => c?.status === 'True');
    if (failure)
      st.conditions = setCondition(st.conditions ?? [], {
        ...failure,
        lastUpdateTime: failure.lastTransitionTime,
      });
    else st.conditions = removeCondition(st.conditions ?? [], 'ReplicaFailure');
    await this.writeStatus(st);
    // requeueStuckDeployment
    const pc = getCondition(st.conditions, 'Progressing');
    if (
      deadline !== undefined &&
      pc &&
      pc.reason !== Reasons.NewRSAvailable &&
      pc.reason !== Reasons.TimedOut &&
      !deploymentComplete(this.d, st)
    ) {
      const last = parseTime(pc.lastUpdateTime) ?? now;
      const after = last + deadline * 1000 - now;
      this.requeueMs = Math.max(after + 1000, 1000);
    }
  }
}
