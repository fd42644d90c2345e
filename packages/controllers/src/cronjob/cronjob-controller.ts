/**
 * The CronJob controller (k8s.io/kubernetes pkg/controller/cronjob, the v2 controller): creates
 * a Job `<cronjob>-<scheduled unix minutes>` from jobTemplate at each schedule time (parsed by
 * cron-parser, in spec.timeZone or UTC), honouring concurrencyPolicy Allow / Forbid / Replace,
 * startingDeadlineSeconds, suspend, and the successful/failed history limits; keeps
 * status.active, lastScheduleTime and lastSuccessfulTime.
 */
import type { EventRecorder } from '@keelson/client';
import { CronExpressionParser } from 'cron-parser';
import type { KubeObject } from '@keelson/api';
import type { ControllerContext, SyncResult } from '../runtime/controller';
import { QueueController, isAlreadyExistsErr, isNotFoundErr } from '../runtime/controller';
import type { SharedInformerLike } from '../runtime/informer';
import type { CronJob, Job } from '../types';
import { InvalidArgumentError } from '../errors';
import { parseTime, rfc3339 } from '../util/clock';
import { emptyPodSpec } from '../util/pods';
import { clone, controllerOf, controllerRef, deepEqual, keyOf } from '../util/objects';
import { isJobFinished } from '../job/job-util';

/** Annotation with the scheduled time of a CronJob's Job. */
export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/**
 * The most recent schedule time in (since, now], and the next one after now. Throws
 * InvalidArgumentError for an unparsable schedule. Upstream gives up past 100 missed times;
 * this looks back at most that many.
 */
export function scheduleTimes(
  schedule: string,
  since: number,
  now: number,
  tz = 'UTC',
): { mostRecent?: number; next: number; missed: number } {
  let expr;
  try {
    expr = CronExpressionParser.parse(schedule, { currentDate: new Date(since), tz });
  } catch (e) {
    throw new InvalidArgumentError(`unparseable schedule "${schedule}": ${(e as Error).message}`);
  }
  let mostRecent: number | undefined;
  let missed = 0;
  for (;;) {
    const t = expr.next().toDate().getTime();
    if (t > now) return { mostRecent, next: t, missed };
    mostRecent = t;
    missed++;
    if (missed > 100) {
      // Jump: recompute from just before now.
      const e2 = CronExpressionParser.parse(schedule, { currentDate: new Date(now), tz });
      const prev = e2.prev().toDate().getTime();
      const next = CronExpressionParser.parse(schedule, { currentDate: new Date(now), tz })
        .next()
        .toDate()
        .getTime();
      return { mostRecent: prev > since ? prev : mostRecent, next, missed };
    }
  }
}

/** The CronJob controller. Events: SuccessfulCreate, SawCompletedJob, SuccessfulDelete, JobAlreadyActive, MissSchedule. */
export class CronJobController extends QueueController {
  readonly name = 'cronjob';
  private readonly cronjobs: SharedInformerLike<CronJob>;
  private readonly jobs: SharedInformerLike<Job>;
  private readonly events: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.events = ctx.recorder('cronjob-controller');
    this.cronjobs = ctx.informers.informer<CronJob>('cronjobs');
    this.jobs = ctx.informers.informer<Job>('jobs');
    this.cronjobs.addEventHandler({
      onAdd: (c) => this.queue.add(keyOf(c)),
      onUpdate: (_o, c) => this.queue.add(keyOf(c)),
    });
    const byJob = (j: Job) => {
      const ref = controllerOf(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata.namespace}/${ref.name}`);
    };
    this.jobs.addEventHandler({ onAdd: byJob, onUpdate: (_o, j) => byJob(j), onDelete: byJob });
  }

  private obj(cj: CronJob): KubeObject {
    return { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' } as KubeObject;
  }

  /** Converges one CronJob ("namespace/name"). */
  async sync(key: string): Promise<SyncResult> {
    const [ns, name] = key.split('/') as [string, string];
    const cached = this.cronjobs.lister().get(ns, name);
    if (!cached) return;
    const cj = clone(cached);
    const now = this.ctx.clock.now();
    const jc = this.ctx.client.resource<Job>('jobs');
    const mine = this.jobs
      .lister()
      .list(ns)
      .filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
    const st: NonNullable<CronJob['status']> = { ...(cj.status ?? {}) };
    // status.active and lastSuccessfulTime from the jobs we own.
    const active = mine.filter((j) => !isJobFinished(j) && !j.metadata.deletionTimestamp);
    for (const j of mine) {
      const fin = isJobFinished(j);
      const wasActive = (cj.status?.active ?? []).some((r) => r.uid === j.metadata.uid);
      if (fin && wasActive) {
        this.events.event(
          this.obj(cj),
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${j.metadata.name}, condition: ${fin}`,
        );
      }
      if (fin === 'Complete') {
        const t = j.status?.completionTime;
        if (t && (!st.lastSuccessfulTime || (parseTime(t) ?? 0) > (parseTime(st.lastSuccessfulTime) ?? 0)))
          st.lastSuccessfulTime = t;
      }
    }
    st.active = active.map((j) => ({
      kind: 'Job',
      namespace: ns,
      name: j.metadata.name,
      uid: j.metadata.uid,
      apiVersion: 'batch/v1',
      resourceVersion: j.metadata.resourceVersion,
    }));
    if (!st.active.length) delete st.active;
    await this.cleanupHistory(cj, mine);
    let requeue: number | undefined;
    if (!cj.metadata.deletionTimestamp && !cj.spec.suspend) {
      const since = parseTime(st.lastScheduleTime) ?? parseTime(cj.metadata.creationTimestamp) ?? now;
      const times = scheduleTimes(cj.spec.schedule, since, now, cj.spec.timeZone ?? 'UTC');
      requeue = times.next - now + 100;
      const t = times.mostRecent;
      if (t !== undefined) {
        const deadline = cj.spec.startingDeadlineSeconds;
        if (deadline !== undefined && deadline !== null && t + deadline * 1000 < now) {
          this.events.event(
            this.obj(cj),
            'Warning',
            'MissSchedule',
            `Missed scheduled time to start a job: ${rfc3339(t)}`,
          );
          st.lastScheduleTime = rfc3339(t);
        } else if ((cj.spec.concurrencyPolicy ?? 'Allow') === 'Forbid' && active.length > 0) {
          this.events.event(
            this.obj(cj),
            'Normal',
            'JobAlreadyActive',
            'Not starting job because prior execution is running and concurrency policy is Forbid',
          );
          // Retry at the next schedule; this time stays unmet (upstream requeues the same way).
        } else {
          if (cj.spec.concurrencyPolicy === 'Replace') {
            for (const j of active) {
              try {
                await jc.delete(ns, j.metadata.name!, { propagationPolicy: 'Background' });
                this.events.event(
                  this.obj(cj),
                  'Normal',
                  'SuccessfulDelete',
                  `Deleted job ${j.metadata.name}`,
                );
              } catch (e) {
                if (!isNotFoundErr(e)) throw e;
              }
            }
            delete st.active;
          }
          const job = this.jobFor(cj, t);
          try {
            const created = await jc.create(job);
            this.events.event(
              this.obj(cj),
              'Normal',
              'SuccessfulCreate',
              `Created job ${created.metadata.name}`,
            );
            st.active = [
              ...(st.active ?? []),
              {
                kind: 'Job',
                namespace: ns,
                name: created.metadata.name,
                uid: created.metadata.uid,
                apiVersion: 'batch/v1',
                resourceVersion: created.metadata.resourceVersion,
              },
            ];
          } catch (e) {
            if (!isAlreadyExistsErr(e)) throw e;
          }
          st.lastScheduleTime = rfc3339(t);
        }
      }
    }
    if (!deepEqual(st, cj.status ?? {}))
      await this.ctx.client.resource<CronJob>('cronjobs').updateStatus({ ...cj, status: st });
    return requeue !== undefined ? { requeueAfterMs: Math.max(requeue, 1) } : undefined;
  }

  /** The Job for scheduled time `t` (getJobFromTemplate2). */
  jobFor(cj: CronJob, t: number): Job {
    const tmd = cj.spec.jobTemplate.metadata ?? {};
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: `${cj.metadata.name}-${Math.floor(t / 60_000)}`,
        namespace: cj.metadata.namespace,
        labels: { ...(tmd.labels ?? {}) },
        annotations: { ...(tmd.annotations ?? {}), [SCHEDULED_TIMESTAMP]: rfc3339(t) },
        ownerReferences: [controllerRef(cj, 'batch/v1', 'CronJob')],
      },
      spec: clone(cj.spec.jobTemplate.spec ?? { template: { spec: emptyPodSpec() } }),
    };
  }

  private async cleanupHistory(cj: CronJob, mine: Job[]): Promise<void> {
    const jc = this.ctx.client.resource<Job>('jobs');
    const byStart = (a: Job, b: Job) =>
      (parseTime(a.status?.startTime ?? a.metadata.creationTimestamp) ?? 0) -
      (parseTime(b.status?.startTime ?? b.metadata.creationTimestamp) ?? 0);
    for (const [kind, limit] of [
      ['Complete', cj.spec.successfulJobsHistoryLimit ?? 3],
      ['Failed', cj.spec.failedJobsHistoryLimit ?? 1],
    ] as const) {
      const done = mine
        .filter((j) => isJobFinished(j) === kind && !j.metadata.deletionTimestamp)
        .sort(byStart);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        try {
          await jc.delete(j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background' });
          this.events.event(this.obj(cj), 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
        } catch (e) {
          if (!isNotFoundErr(e)) throw e;
        }
      }
    }
  }
}
