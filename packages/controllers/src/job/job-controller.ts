/**
 * The Job controller (k8s.io/kubernetes pkg/controller/job): runs pods until `completions`
 * succeed (or, without completions, until one succeeds and the rest finish), at most
 * `parallelism` at a time; retries failed pods with exponential backoff (10 s doubling, 6 min
 * cap) until more than `backoffLimit` failed (Failed, BackoffLimitExceeded) or
 * activeDeadlineSeconds passed (Failed, DeadlineExceeded); Indexed completion mode gives each
 * pod an index (annotation + label batch.kubernetes.io/job-completion-index, env
 * JOB_COMPLETION_INDEX, hostname `<job>-<index>`); finished Jobs are deleted after
 * ttlSecondsAfterFinished. Terminated pods are counted once through the
 * batch.kubernetes.io/job-tracking finalizer, removed after the count is stored.
 */
import type { EventRecorder } from '@keelson/client';
import type { KubeObject } from '@keelson/api';
import { ownedOrOrphans } from '../runtime/informer';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { GenericCondition, Job, Pod } from '../types';
import { parseTime, rfc3339 } from '../util/clock';
import { claimObjects, liveOwnerCheck } from '../util/claim';
import { ControllerExpectations } from '../util/expectations';
import { clone, controllerOf, controllerRef, deepEqual, keyOf } from '../util/objects';
import { compareForDeletion, emptyPodSpec, isPodReady, podKey } from '../util/pods';
import { selectorMatcher } from '../util/selectors';
import { slowStartBatch } from '../replicaset/replicaset-controller';
import {
  COMPLETION_INDEX,
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  JOB_TRACKING_FINALIZER,
  failureBackoff,
  formatIndexes,
  isJobFinished,
  jobCondition,
  parseIndexes,
  wantActive,
} from './job-util';

/** Options of {@link JobController}. */
export interface JobControllerOptions {
  /** Backoff base, ms (default 10 s). */
  backoffBaseMs?: number;
  /** Backoff cap, ms (default 6 min). */
  backoffMaxMs?: number;
}

/** The selector of a Job: its own, or the one the apiserver would generate from its uid. */
export function jobSelector(job: Job) {
  return job.spec.selector ?? { matchLabels: { [CONTROLLER_UID_LABEL]: job.metadata.uid! } };
}

/** The Job controller. Events: SuccessfulCreate, SuccessfulDelete, Completed, BackoffLimitExceeded, DeadlineExceeded. */
export class JobController extends QueueController {
  readonly name = 'job';
  readonly expectations: ControllerExpectations;
  private readonly jobs: SharedInformerLike<Job>;
  private readonly pods: SharedInformerLike<Pod>;
  private readonly events: EventRecorder;
  private readonly lastFailure = new Map<string, number>();

  constructor(
    ctx: ControllerContext,
    private readonly opts: JobControllerOptions = {},
  ) {
    super(ctx);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.events = ctx.recorder('job-controller');
    this.jobs = ctx.informers.informer<Job>('jobs');
    this.pods = ctx.informers.informer<Pod>('pods');
    this.jobs.addEventHandler({
      onAdd: (j) => this.queue.add(keyOf(j)),
      onUpdate: (_o, j) => this.queue.add(keyOf(j)),
      onDelete: (j) => {
        this.expectations.delete(keyOf(j));
        this.queue.add(keyOf(j));
      },
    });
    const owner = (p: Pod) => {
      const ref = controllerOf(p);
      if (!ref || ref.kind !== 'Job') return undefined;
      const j = this.jobs.lister().get(p.metadata.namespace, ref.name);
      return j && j.metadata.uid === ref.uid ? keyOf(j) : undefined;
    };
    this.pods.addEventHandler({
      onAdd: (p) => {
        const k = owner(p);
        if (!k) return;
        this.expectations.creationObserved(k);
        this.queue.add(k);
      },
      onUpdate: (_o, p) => {
        const k = owner(p);
        if (k) this.queue.add(k);
      },
      onDelete: (p) => {
        const k = owner(p);
        if (!k) return;
        this.expectations.deletionObserved(k, podKey(p));
        this.queue.add(k);
      },
    });
  }

  private jobObj(j: Job): KubeObject {
    return { ...j, apiVersion: 'batch/v1', kind: 'Job' } as KubeObject;
  }

  /** Converges one Job ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const cached = this.jobs.lister().get(ns, name);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const job = clone(cached);
    const now = this.ctx.clock.now();
    const nowIso = rfc3339(now);
    const pc = this.ctx.client.resource<Pod>('pods');
    const jc = this.ctx.client.resource<Job>('jobs');
    const match = selectorMatcher(jobSelector(job));
    const pods = await claimObjects(
      { owner: job, apiVersion: 'batch/v1', kind: 'Job', match, canAdopt: liveOwnerCheck(jc, job) },
      ownedOrOrphans(this.pods.lister(), ns, job.metadata.uid!),
      pc,
    );
    const finished = isJobFinished(job);
    if (finished) {
      await this.removeTrackingFinalizers(
        pods.filter(
          (p) =>
            p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) &&
            (isTerminal(p) || p.metadata.deletionTimestamp),
        ),
      );
      return this.handleTTL(job, now);
    }
    const indexed = job.spec.completionMode === 'Indexed';
    const st: NonNullable<Job['status']> = { ...(job.status ?? {}) };
    const active = pods.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    // Count terminated pods once (those still carrying our finalizer).
    const newlyDone = pods.filter(
      (p) => isTerminal(p) && p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER),
    );
    let succeeded = st.succeeded ?? 0;
    let failed = st.failed ?? 0;
    const doneIdx = parseIndexes(st.completedIndexes);
    for (const p of newlyDone) {
      if (p.status?.phase === 'Succeeded') {
        if (indexed) {
          const idx = Number(p.metadata.annotations?.[COMPLETION_INDEX]);
          if (Number.isInteger(idx) && !doneIdx.has(idx)) {
            doneIdx.add(idx);
            succeeded++;
          }
        } else succeeded++;
      } else {
        failed++;
        this.lastFailure.set(key, Math.max(this.lastFailure.get(key) ?? 0, finishedAt(p) ?? now));
      }
    }
    // Pods deleted before they finished (e.g. evicted) count as failed, as upstream does.
    for (const p of pods) {
      if (
        !isTerminal(p) &&
        p.metadata.deletionTimestamp &&
        p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)
      ) {
        failed++;
        newlyDone.push(p);
        this.lastFailure.set(key, now);
      }
    }
    if (!st.startTime && !job.spec.suspend) st.startTime = nowIso;
    st.succeeded = succeeded;
    st.failed = failed;
    if (indexed) st.completedIndexes = formatIndexes(doneIdx);
    let conditions: GenericCondition[] = [...(st.conditions ?? [])];
    const backoffLimit = job.spec.backoffLimit ?? 6;
    const started = parseTime(st.startTime);
    let failure: [string, string] | undefined;
    if (failed > backoffLimit)
      failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    else if (
      job.spec.activeDeadlineSeconds !== undefined &&
      started !== undefined &&
      now - started >= job.spec.activeDeadlineSeconds * 1000
    ) {
      failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
    }
    const completions = job.spec.completions;
    const complete =
      !failure &&
      (completions === undefined || completions === null
        ? succeeded > 0 && active.length === 0
        : indexed
          ? doneIdx.size >= completions
          : succeeded >= completions);
    let requeue: number | undefined;
    let activeCount = active.length;
    if (failure) {
      await this.deletePods(job, key, active);
      activeCount = 0;
      conditions = conditions.filter((c) => c.type !== 'FailureTarget' && c.type !== 'Failed');
      conditions.push(
        jobCondition('FailureTarget', failure[0], failure[1], nowIso),
        jobCondition('Failed', failure[0], failure[1], nowIso),
      );
      this.events.event(this.jobObj(job), 'Warning', failure[0], failure[1]);
    } else if (complete) {
      await this.deletePods(job, key, active);
      activeCount = 0;
      conditions.push(
        jobCondition(
          'SuccessCriteriaMet',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          nowIso,
        ),
        jobCondition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', nowIso),
      );
      st.completionTime = nowIso;
      this.events.event(this.jobObj(job), 'Normal', 'Completed', 'Job completed');
    } else if (job.spec.suspend) {
      await this.deletePods(job, key, active);
      activeCount = 0;
      if (!conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        conditions = conditions.filter((c) => c.type !== 'Suspended');
        conditions.push(jobCondition('Suspended', 'JobSuspended', 'Job suspended', nowIso));
        this.events.event(this.jobObj(job), 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        conditions = conditions.map((c) =>
          c.type === 'Suspended'
            ? {
                ...c,
                status: 'False',
                reason: 'JobResumed',
                message: 'Job resumed',
                lastTransitionTime: nowIso,
              }
            : c,
        );
        this.events.event(this.jobObj(job), 'Normal', 'Resumed', 'Job resumed');
      }
      if (this.expectations.satisfied(key)) {
        const r = await this.manage(job, key, active, succeeded, failed, doneIdx, now);
        activeCount = r.active;
        requeue = r.requeueAfterMs;
      }
      if (job.spec.activeDeadlineSeconds !== undefined && started !== undefined) {
        const left = started + job.spec.activeDeadlineSeconds * 1000 - now;
        requeue = requeue === undefined ? left : Math.min(requeue, left);
      }
    }
    st.active = activeCount;
    st.ready = active.filter(isPodReady).length;
    st.conditions = conditions;
    if (!st.conditions.length) delete st.conditions;
    if (!deepEqual(st, job.status ?? {})) await jc.updateStatus({ ...job, status: st });
    await this.removeTrackingFinalizers(newlyDone);
    if (failure || complete) return this.handleTTL({ ...job, status: st }, now);
    return requeue !== undefined ? { requeueAfterMs: Math.max(requeue, 1) } : undefined;
  }

  private async manage(
    job: Job,
    key: string,
    active: Pod[],
    succeeded: number,
    failed: number,
    doneIdx: Set<number>,
    now: number,
  ): Promise<{ active: number; requeueAfterMs?: number }> {
    const indexed = job.spec.completionMode === 'Indexed';
    const want = wantActive(job, indexed ? doneIdx.size : succeeded, active.length);
    if (active.length > want) {
      const victims = [...active]
        .sort((a, b) => compareForDeletion(a, b, () => 0, now))
        .slice(0, active.length - want);
      await this.deletePods(job, key, victims);
      return { active: active.length - victims.length };
    }
    if (active.length === want) return { active: active.length };
    // Backoff after failures: base·2^(failed−1) since the last failure seen.
    // The last failure: the newest finish time among failed pods still around, else what was seen.
    let last = this.lastFailure.get(key);
    for (const p of this.pods.lister().list(job.metadata.namespace)) {
      if (p.status?.phase !== 'Failed' || controllerOf(p)?.uid !== job.metadata.uid) continue;
      const t = finishedAt(p);
      if (t !== undefined) last = Math.max(last ?? 0, t);
    }
    if (failed > 0 && last !== undefined) {
      const wait = last + failureBackoff(failed, this.opts.backoffBaseMs, this.opts.backoffMaxMs) - now;
      if (wait > 0) return { active: active.length, requeueAfterMs: wait };
    }
    const indexes: number[] = [];
    let count = want - active.length;
    if (indexed) {
      const busy = new Set(active.map((p) => Number(p.metadata.annotations?.[COMPLETION_INDEX])));
      for (let i = 0; i < (job.spec.completions ?? 0) && indexes.length < count; i++)
        if (!doneIdx.has(i) && !busy.has(i)) indexes.push(i);
      count = indexes.length;
    }
    if (count <= 0) return { active: active.length };
    this.expectations.expectCreations(key, count);
    const pc = this.ctx.client.resource<Pod>('pods');
    const { successes, error } = await slowStartBatch(count, 1, async (i) => {
      const pod = this.podFor(job, indexed ? indexes[i] : undefined);
      try {
        const created = await pc.create(pod);
        this.events.event(
          this.jobObj(job),
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.metadata.name}`,
        );
      } catch (e) {
        this.events.event(
          this.jobObj(job),
          'Warning',
          'FailedCreate',
          `Error creating: ${(e as Error).message}`,
        );
        throw e;
      }
    });
    for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
    if (error) throw error;
    return { active: active.length + successes };
  }

  /** The pod for a Job (and completion index, when Indexed). */
  podFor(job: Job, index?: number): Pod {
    const md = job.spec.template.metadata ?? {};
    const labels: Record<string, string> = {
      ...(md.labels ?? {}),
      [CONTROLLER_UID_LABEL]: job.metadata.uid!,
      [JOB_NAME_LABEL]: job.metadata.name!,
      'controller-uid': job.metadata.uid!,
      'job-name': job.metadata.name!,
    };
    const annotations: Record<string, string> = { ...(md.annotations ?? {}) };
    const spec = clone(job.spec.template.spec ?? emptyPodSpec());
    let generateName = `${job.metadata.name}-`;
    if (index !== undefined) {
      labels[COMPLETION_INDEX] = String(index);
      annotations[COMPLETION_INDEX] = String(index);
      generateName = `${job.metadata.name}-${index}-`;
      if (!spec.hostname) spec.hostname = `${job.metadata.name}-${index}`;
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        c.env = [
          ...(c.env ?? []).filter((e: { name: string }) => e.name !== 'JOB_COMPLETION_INDEX'),
          {
            name: 'JOB_COMPLETION_INDEX',
            valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } },
          },
        ];
      }
    }
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName,
        namespace: job.metadata.namespace,
        labels,
        ownerReferences: [controllerRef(job, 'batch/v1', 'Job')],
        finalizers: [...(md.finalizers ?? []), JOB_TRACKING_FINALIZER],
      },
      spec,
    };
    if (Object.keys(annotations).length) pod.metadata.annotations = annotations;
    return pod;
  }

  private async deletePods(job: Job, key: string, pods: Pod[]): Promise<void> {
    if (!pods.length) return;
    const pc = this.ctx.client.resource<Pod>('pods');
    this.expectations.expectDeletions(key, pods.map(podKey));
    for (const p of pods) {
      try {
        await pc.delete(p.metadata.namespace, p.metadata.name!);
        this.events.event(this.jobObj(job), 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (e) {
        this.expectations.deletionObserved(key, podKey(p));
        if (!isNotFoundErr(e)) throw e;
      }
    }
  }

  private async removeTrackingFinalizers(pods: Pod[]): Promise<void> {
    const pc = this.ctx.client.resource<Pod>('pods');
    for (const p of pods) {
      try {
        await pc.patch(p.metadata.namespace, p.metadata.name!, 'merge', {
          metadata: { finalizers: (p.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER) },
        });
      } catch (e) {
        if (!isNotFoundErr(e)) throw e;
      }
    }
  }

  /** ttlSecondsAfterFinished (the TTL-after-finished controller's job, folded in here). */
  private async handleTTL(job: Job, now: number): Promise<SyncResult> {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null) return;
    const fin = (job.status?.conditions ?? []).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    const at =
      (parseTime(job.status?.completionTime) ?? parseTime(fin?.lastTransitionTime) ?? now) + ttl * 1000;
    if (at > now) return { requeueAfterMs: at - now };
    try {
      await this.ctx.client.resource('jobs').delete(job.metadata.namespace, job.metadata.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      });
    } catch (e) {
      if (!isNotFoundErr(e)) throw e;
    }
  }
}

/** When a terminated pod finished: the latest container terminated.finishedAt (epoch ms). */
function finishedAt(p: Pod): number | undefined {
  let t: number | undefined;
  for (const cs of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
    const f = parseTime(cs?.state?.terminated?.finishedAt);
    if (f !== undefined) t = Math.max(t ?? 0, f);
  }
  return t;
}

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}
