/**
 * The ReplicaSet controller (k8s.io/kubernetes pkg/controller/replicaset): keeps
 * `spec.replicas` active pods matching the selector, created from the pod template with a
 * controller ownerReference; adopts matching orphans and releases pods whose labels no longer
 * match; deletes the least valuable pods first; reports status; expectations guard against
 * double creation while its own writes are in flight.
 */
import type { EventRecorder } from '@keelson/client';
import type { KubeObject } from '@keelson/api';
import { ownedOrOrphans } from '../runtime/informer';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr, isConflictErr } from '../runtime/controller';
import type { Lister, SharedInformerLike } from '../runtime/informer';
import type { Pod, ReplicaSet } from '../types';
import { claimObjects, liveOwnerCheck } from '../util/claim';
import { ControllerExpectations } from '../util/expectations';
import { clone, controllerOf, controllerRef, deepEqual, keyOf } from '../util/objects';
import {
  compareForDeletion,
  emptyPodSpec,
  isPodActive,
  isPodAvailable,
  isPodReady,
  podKey,
} from '../util/pods';
import { selectorMatcher } from '../util/selectors';
import { rfc3339 } from '../util/clock';

/** Upstream's BurstReplicas: at most this many creates/deletes per sync. */
export const BURST_REPLICAS = 500;
/** Upstream's SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH = 1;

/**
 * Runs `fn` `count` times in batches of 1, 2, 4, ... (controller.slowStartBatch); a batch runs
 * in parallel; the first batch with a failure stops the rest. Returns the number of successes
 * and the first error.
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: (i: number) => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let batch = Math.min(remaining, initialBatchSize);
  let index = 0;
  while (batch > 0) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn(index++)));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    successes += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { successes, error: failed.reason };
    remaining -= batch;
    batch = Math.min(2 * batch, remaining);
  }
  return { successes };
}

/**
 * A pod built from a template (controller.GetPodFromTemplate): generateName `<prefix>-`,
 * the template's labels, annotations and finalizers, the given controller ownerReference.
 */
export function podFromTemplate(
  template: ReplicaSet['spec']['template'] = {},
  namespace: string,
  generateNamePrefix: string,
  owner: ReturnType<typeof controllerRef>,
): Pod {
  const md = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${generateNamePrefix}-`,
      namespace,
      labels: clone(md.labels ?? {}),
      ownerReferences: [owner],
    },
    spec: clone(template.spec ?? emptyPodSpec()),
  };
  if (md.annotations) pod.metadata.annotations = clone(md.annotations);
  if (md.finalizers) pod.metadata.finalizers = [...md.finalizers];
  return pod;
}

/**
 * Which pods to delete when scaling down by `diff` (getPodsToDelete): ranks each pod by how
 * many of `related` pods share its node, sorts by {@link compareForDeletion}, takes the first
 * `diff`.
 */
export function podsToDelete(filtered: Pod[], related: Pod[], diff: number, now: number): Pod[] {
  if (diff >= filtered.length) return [...filtered];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const rank = (p: Pod) => (p.spec?.nodeName ? (onNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...filtered].sort((a, b) => compareForDeletion(a, b, rank, now)).slice(0, diff);
}

/** ReplicaSet status as calculateStatus computes it (conditions carried by the caller). */
export function calculateReplicaSetStatus(
  rs: ReplicaSet,
  filteredPods: Pod[],
  now: number,
): Required<
  Pick<
    NonNullable<ReplicaSet['status']>,
    'replicas' | 'fullyLabeledReplicas' | 'readyReplicas' | 'availableReplicas' | 'observedGeneration'
  >
> {
  const tl = Object.entries(rs.spec.template?.metadata?.labels ?? {});
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of filteredPods) {
    const l = p.metadata.labels ?? {};
    if (tl.every(([k, v]) => l[k] === v)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, rs.spec.minReadySeconds ?? 0, now)) available++;
    }
  }
  return {
    replicas: filteredPods.length,
    fullyLabeledReplicas: fully,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? 0,
  };
}

/** Options of {@link ReplicaSetController}. */
export interface ReplicaSetControllerOptions {
  /** Max creates/deletes per sync (500). */
  burstReplicas?: number;
  /** Resource, apiVersion and kind, so the same code drives ReplicationControllers if ever needed. */
  kind?: { resource: string; apiVersion: string; kind: string };
}

/** The ReplicaSet controller. Events: SuccessfulCreate, FailedCreate, SuccessfulDelete, FailedDelete. */
export class ReplicaSetController extends QueueController {
  readonly name = 'replicaset';
  readonly expectations: ControllerExpectations;
  private readonly rsInformer: SharedInformerLike<ReplicaSet>;
  private readonly podInformer: SharedInformerLike<Pod>;
  private readonly events: EventRecorder;
  private readonly burst: number;

  constructor(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}) {
    super(ctx);
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new ControllerExpectations(ctx.clock);
    this.events = ctx.recorder('replicaset-controller');
    this.rsInformer = ctx.informers.informer<ReplicaSet>('replicasets');
    this.podInformer = ctx.informers.informer<Pod>('pods');
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (_o, rs) => this.queue.add(keyOf(rs)),
      onDelete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.queue.add(keyOf(rs));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (o, p) => this.podUpdated(o, p),
      onDelete: (p) => this.podDeleted(p),
    });
  }

  private get rsLister(): Lister<ReplicaSet> {
    return this.rsInformer.lister();
  }

  private resolveRef(p: Pod): ReplicaSet | undefined {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsLister.get(p.metadata.namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  private matchingSets(p: Pod): ReplicaSet[] {
    return this.rsLister
      .list(p.metadata.namespace)
      .filter((rs) => selectorMatcher(rs.spec.selector)(p.metadata.labels));
  }

  private podAdded(p: Pod): void {
    if (p.metadata.deletionTimestamp) return this.podDeleted(p);
    const rs = this.resolveRef(p);
    if (rs) {
      this.expectations.creationObserved(keyOf(rs));
      this.queue.add(keyOf(rs));
      return;
    }
    if (controllerOf(p)) return;
    for (const r of this.matchingSets(p)) this.queue.add(keyOf(r));
  }

  private podUpdated(o: Pod, p: Pod): void {
    if (o.metadata.resourceVersion === p.metadata.resourceVersion) return;
    const labelsChanged = !deepEqual(o.metadata.labels, p.metadata.labels);
    if (p.metadata.deletionTimestamp) {
      this.podDeleted(p);
      if (labelsChanged) {
        const old = this.resolveRef(o);
        if (old) this.queue.add(keyOf(old));
      }
      return;
    }
    const oldRef = controllerOf(o);
    const newRef = controllerOf(p);
    if (oldRef && (!newRef || oldRef.uid !== newRef.uid)) {
      const old = this.resolveRef(o);
      if (old) this.queue.add(keyOf(old));
    }
    const rs = this.resolveRef(p);
    if (rs) {
      this.queue.add(keyOf(rs));
      const mrs = rs.spec.minReadySeconds ?? 0;
      if (!isPodReady(o) && isPodReady(p) && mrs > 0) this.queue.addAfter(keyOf(rs), mrs * 1000 + 1000);
      return;
    }
    if (!newRef && (labelsChanged || oldRef)) for (const r of this.matchingSets(p)) this.queue.add(keyOf(r));
  }

  private podDeleted(p: Pod): void {
    const ref = controllerOf(p);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsLister.get(p.metadata.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(p));
    this.queue.add(keyOf(rs));
  }

  /** Converges one ReplicaSet ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const rs = this.rsLister.get(ns, name);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const now = this.ctx.clock.now();
    const needsSync = this.expectations.satisfied(key);
    const match = selectorMatcher(rs.spec.selector);
    const candidates = ownedOrOrphans(this.podInformer.lister(), ns, rs.metadata.uid!);
    const claimed = await this.claimPods(
      rs,
      candidates.filter((p) => isPodActive(p)),
      match,
    );
    let manageErr: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(rs, claimed, key, now);
      } catch (e) {
        manageErr = e;
      }
    }
    const status = { ...(rs.status ?? {}), ...calculateReplicaSetStatus(rs, claimed, now) };
    const conds = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
    if (manageErr) {
      const prev = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      const diff = claimed.length - (rs.spec.replicas ?? 1);
      conds.push({
        type: 'ReplicaFailure',
        status: 'True',
        reason: diff < 0 ? 'FailedCreate' : 'FailedDelete',
        message: String((manageErr as Error).message ?? manageErr),
        lastTransitionTime: prev?.lastTransitionTime ?? rfc3339(now),
      });
    }
    if (conds.length) status.conditions = conds;
    else delete status.conditions;
    await this.updateStatus(rs, status);
    if (manageErr) throw manageErr;
    const mrs = rs.spec.minReadySeconds ?? 0;
    if (
      mrs > 0 &&
      status.readyReplicas === (rs.spec.replicas ?? 1) &&
      status.availableReplicas !== (rs.spec.replicas ?? 1)
    ) {
      return { requeueAfterMs: mrs * 1000 };
    }
  }

  private async updateStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet['status']>): Promise<void> {
    if (deepEqual(rs.status ?? {}, status)) return;
    const rc = this.ctx.client.resource<ReplicaSet>('replicasets');
    let cur: ReplicaSet = rs;
    for (let i = 0; i < 2; i++) {
      try {
        await rc.updateStatus({ ...cur, status });
        return;
      } catch (e) {
        if (isNotFoundErr(e)) return;
        if (!isConflictErr(e) || i === 1) throw e;
        cur = await rc.get(rs.metadata.namespace, rs.metadata.name!);
      }
    }
  }

  /** ClaimPods: see {@link claimObjects}. */
  private claimPods(
    rs: ReplicaSet,
    pods: Pod[],
    match: (l?: Record<string, string>) => boolean,
  ): Promise<Pod[]> {
    return claimObjects(
      {
        owner: rs,
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        match,
        canAdopt: liveOwnerCheck(this.ctx.client.resource('replicasets'), rs),
      },
      pods,
      this.ctx.client.resource<Pod>('pods'),
    );
  }

  private async manageReplicas(rs: ReplicaSet, filtered: Pod[], key: string, now: number): Promise<void> {
    const want = rs.spec.replicas ?? 1;
    let diff = filtered.length - want;
    const pc = this.ctx.client.resource<Pod>('pods');
    const rsObj = { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' } as KubeObject;
    if (diff < 0) {
      diff = Math.min(-diff, this.burst);
      this.expectations.expectCreations(key, diff);
      const ref = controllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH, async () => {
        try {
          const created = await pc.create(
            podFromTemplate(rs.spec.template, rs.metadata.namespace!, rs.metadata.name!, ref),
          );
          this.events.event(rsObj, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (e) {
          this.events.event(rsObj, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
          throw e;
        }
      });
      // Creates that failed or never ran will never be observed.
      for (let i = successes; i < diff; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    } else if (diff > 0) {
      diff = Math.min(diff, this.burst);
      const victims = podsToDelete(filtered, filtered, diff, now);
      this.expectations.expectDeletions(key, victims.map(podKey));
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (p) => {
          try {
            await pc.delete(p.metadata.namespace, p.metadata.name!);
            this.events.event(rsObj, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          } catch (e) {
            this.expectations.deletionObserved(key, podKey(p));
            if (!isNotFoundErr(e)) {
              this.events.event(rsObj, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
              errors.push(e);
            }
          }
        }),
      );
      if (errors.length) throw errors[0];
    }
  }
}
