import { harness, type TestHarness } from '../testing';
import type { CronJob, Job } from '../types';
import { rfc3339 } from '../util/clock';
import { CronJobController, scheduleTimes } from './cronjob-controller';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);

function makeCJ(spec: Partial<CronJob['spec']> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: rfc3339(T0) },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        metadata: { labels: { app: 'tick' } },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
      ...spec,
    },
  };
}
const jobs = (h: TestHarness) => h.client.objects<Job>('jobs');
async function step(h: TestHarness, c: CronJobController) {
  h.refresh('cronjobs', 'jobs');
  const r = await c.sync('default/tick');
  h.refresh('cronjobs', 'jobs');
  return r;
}
async function finish(h: TestHarness, j: Job, type: 'Complete' | 'Failed') {
  await h.client.resource<Job>('jobs').updateStatus({
    ...j,
    status: { completionTime: rfc3339(h.clock.now()), conditions: [{ type, status: 'True' }] },
  });
}

describe('CronJobController', () => {
  it('computes schedule times', () => {
    const r = scheduleTimes('*/5 * * * *', T0, T0 + 11 * 60_000);
    expect(r.mostRecent).toBe(Date.UTC(2026, 0, 1, 0, 10));
    expect(r.next).toBe(Date.UTC(2026, 0, 1, 0, 15));
    expect(r.missed).toBe(2);
    expect(() => scheduleTimes('nope', T0, T0)).toThrow(/unparseable schedule/);
  });

  it('creates a Job at each schedule time with the scheduled-timestamp annotation', async () => {
    const h = harness();
    h.clock.setTime(T0);
    h.seed('cronjobs', makeCJ());
    const c = new CronJobController(h.ctx);
    const r = await step(h, c);
    expect(jobs(h)).toHaveLength(0);
    expect(r).toEqual({ requeueAfterMs: 270_000 + 100 });
    h.clock.setTime(Date.UTC(2026, 0, 1, 0, 5, 1));
    await step(h, c);
    const [j] = jobs(h);
    expect(j!.metadata.name).toBe(`tick-${Date.UTC(2026, 0, 1, 0, 5) / 60_000}`);
    expect(j!.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2026-01-01T00:05:00Z',
    );
    expect(j!.metadata.ownerReferences![0]).toMatchObject({
      kind: 'CronJob',
      name: 'tick',
      controller: true,
    });
    const cj = h.client.peek<CronJob>('cronjobs', 'default', 'tick')!;
    expect(cj.status!.lastScheduleTime).toBe('2026-01-01T00:05:00Z');
    expect(cj.status!.active!.map((a) => a.name)).toEqual([j!.metadata.name]);
    expect(await h.events.lines()).toContain(`SuccessfulCreate Created job ${j!.metadata.name}`);
    // Completed → SawCompletedJob, lastSuccessfulTime.
    await finish(h, j!, 'Complete');
    await step(h, c);
    expect(await h.events.lines()).toContain(
      `SawCompletedJob Saw completed job: ${j!.metadata.name}, condition: Complete`,
    );
    expect(h.client.peek<CronJob>('cronjobs', 'default', 'tick')!.status!.active).toBeUndefined();
  });

  it('Forbid skips while a job is active; Replace deletes it', async () => {
    for (const policy of ['Forbid', 'Replace'] as const) {
      const h = harness();
      h.clock.setTime(T0);
      h.seed('cronjobs', makeCJ({ concurrencyPolicy: policy }));
      const c = new CronJobController(h.ctx);
      h.clock.setTime(Date.UTC(2026, 0, 1, 0, 5, 1));
      await step(h, c);
      h.clock.setTime(Date.UTC(2026, 0, 1, 0, 10, 1));
      await step(h, c);
      if (policy === 'Forbid') {
        expect(jobs(h)).toHaveLength(1);
        expect((await h.events.lines()).some((l) => l.startsWith('JobAlreadyActive'))).toBe(true);
      } else {
        expect(h.writes().filter((w) => w.startsWith('delete jobs'))).toHaveLength(1);
        expect(jobs(h).map((j) => j.metadata.name)).toEqual([`tick-${Date.UTC(2026, 0, 1, 0, 10) / 60_000}`]);
      }
    }
  });

  it('honours startingDeadlineSeconds, suspend and history limits', async () => {
    const h = harness();
    h.clock.setTime(T0);
    h.seed('cronjobs', makeCJ({ startingDeadlineSeconds: 10, successfulJobsHistoryLimit: 1 }));
    const c = new CronJobController(h.ctx);
    h.clock.setTime(Date.UTC(2026, 0, 1, 0, 5, 30)); // 30 s late > 10 s deadline
    await step(h, c);
    expect(jobs(h)).toHaveLength(0);
    expect((await h.events.lines()).some((l) => l.startsWith('MissSchedule'))).toBe(true);
    for (const m of [10, 15]) {
      h.clock.setTime(Date.UTC(2026, 0, 1, 0, m, 1));
      await step(h, c);
      await finish(
        h,
        jobs(h).find((j) => !j.status?.conditions)!,
        'Complete',
      );
    }
    await step(h, c);
    expect(jobs(h)).toHaveLength(1);
    const cj = h.client.peek<CronJob>('cronjobs', 'default', 'tick')!;
    await h.client.resource<CronJob>('cronjobs').update({ ...cj, spec: { ...cj.spec, suspend: true } });
    h.clock.setTime(Date.UTC(2026, 0, 1, 0, 20, 1));
    await step(h, c);
    expect(jobs(h)).toHaveLength(1);
  });
});
