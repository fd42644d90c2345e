import { harness, type TestHarness } from '../testing';
import type { Job, Pod } from '../types';
import { JobController } from './job-controller';
import { failureBackoff, formatIndexes, parseIndexes } from './job-util';

function makeJob(spec: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'job-uid' },
    spec: {
      template: {
        metadata: { labels: { app: 'pi' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
      },
      ...spec,
    },
  };
}
const pods = (h: TestHarness) => h.client.objects<Pod>('pods');
const job = (h: TestHarness) => h.client.peek<Job>('jobs', 'default', 'pi')!;

async function finishPod(h: TestHarness, p: Pod, phase: 'Succeeded' | 'Failed') {
  await h.client.resource<Pod>('pods').updateStatus({ ...p, status: { ...(p.status ?? {}), phase } });
}

async function step(h: TestHarness, c: JobController) {
  h.refresh('jobs', 'pods');
  const r = await c.sync('default/pi');
  h.refresh('jobs', 'pods');
  return r;
}

describe('job util', () => {
  it('backs off 10 s doubling up to 6 min', () => {
    expect([0, 1, 2, 3, 6, 7, 20].map((n) => failureBackoff(n))).toEqual([
      0, 10_000, 20_000, 40_000, 320_000, 360_000, 360_000,
    ]);
  });
  it('formats completed indexes as intervals', () => {
    expect(formatIndexes(new Set([0, 1, 2, 4, 6, 7]))).toBe('0-2,4,6-7');
    expect([...parseIndexes('0-2,4')]).toEqual([0, 1, 2, 4]);
  });
});

describe('JobController', () => {
  it('runs parallelism pods until completions succeed, then Complete', async () => {
    const h = harness();
    h.seed('jobs', makeJob({ completions: 3, parallelism: 2 }));
    const c = new JobController(h.ctx);
    await step(h, c);
    expect(pods(h)).toHaveLength(2);
    const p0 = pods(h)[0]!;
    expect(p0.metadata.generateName).toBe('pi-');
    expect(p0.metadata.labels).toMatchObject({
      app: 'pi',
      'batch.kubernetes.io/controller-uid': 'job-uid',
      'batch.kubernetes.io/job-name': 'pi',
      'job-name': 'pi',
    });
    expect(p0.metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    expect(p0.metadata.ownerReferences![0]).toMatchObject({
      kind: 'Job',
      name: 'pi',
      uid: 'job-uid',
      controller: true,
    });
    expect(job(h).status).toMatchObject({
      active: 2,
      succeeded: 0,
      failed: 0,
      startTime: '2026-01-01T00:00:00Z',
    });
    for (let i = 0; i < 5 && !job(h).status?.completionTime; i++) {
      for (const p of pods(h).filter((x) => x.status?.phase !== 'Succeeded'))
        await finishPod(h, p, 'Succeeded');
      await step(h, c);
    }
    expect(job(h).status).toMatchObject({ succeeded: 3, active: 0, completionTime: '2026-01-01T00:00:00Z' });
    expect(job(h).status!.conditions!.map((x) => `${x.type}=${x.status}/${x.reason}`)).toEqual([
      'SuccessCriteriaMet=True/CompletionsReached',
      'Complete=True/CompletionsReached',
    ]);
    expect(pods(h)).toHaveLength(3);
    expect(pods(h).every((p) => !(p.metadata.finalizers ?? []).length)).toBe(true);
    expect(await h.events.lines()).toContain('Completed Job completed');
  });

  it('retries failed pods with backoff and fails after backoffLimit', async () => {
    const h = harness();
    h.seed('jobs', makeJob({ backoffLimit: 2 }));
    const c = new JobController(h.ctx);
    await step(h, c);
    const waits: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const live = pods(h).find((p) => p.status?.phase !== 'Failed')!;
      await finishPod(h, live, 'Failed');
      const r = await step(h, c);
      waits.push(r);
      if (i < 2) {
        // backoff: nothing created yet
        expect(pods(h).filter((p) => p.status?.phase !== 'Failed')).toHaveLength(0);
        h.clock.step((r as { requeueAfterMs: number }).requeueAfterMs);
        await step(h, c);
        expect(pods(h).filter((p) => p.status?.phase !== 'Failed')).toHaveLength(1);
      }
    }
    expect(waits.slice(0, 2)).toEqual([{ requeueAfterMs: 10_000 }, { requeueAfterMs: 20_000 }]);
    expect(job(h).status).toMatchObject({ failed: 3, active: 0 });
    expect(job(h).status!.conditions!.find((x) => x.type === 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    expect(await h.events.lines()).toContain(
      'BackoffLimitExceeded Job has reached the specified backoff limit',
    );
  });

  it("measures backoff from the failed pod's finish time", async () => {
    const h = harness();
    h.seed('jobs', makeJob({ backoffLimit: 5 }));
    const c = new JobController(h.ctx);
    await step(h, c);
    const p = pods(h)[0]!;
    const finished = new Date(h.clock.now()).toISOString().replace('.000Z', 'Z');
    await h.client.resource<Pod>('pods').updateStatus({
      ...p,
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'c',
            ready: false,
            restartCount: 0,
            image: 'busybox',
            imageID: '',
            state: { terminated: { exitCode: 1, finishedAt: finished } },
          },
        ],
      },
    });
    h.clock.step(8_000);
    expect(await step(h, c)).toEqual({ requeueAfterMs: 2_000 });
    h.clock.step(2_000);
    await step(h, c);
    expect(pods(h).filter((x) => x.status?.phase !== 'Failed')).toHaveLength(1);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and deletes active pods', async () => {
    const h = harness();
    h.seed('jobs', makeJob({ activeDeadlineSeconds: 30, parallelism: 2, completions: 2 }));
    const c = new JobController(h.ctx);
    expect(await step(h, c)).toEqual({ requeueAfterMs: 30_000 });
    h.clock.step(30_000);
    await step(h, c);
    expect(job(h).status!.conditions!.find((x) => x.type === 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
    });
    expect(h.writes().filter((w) => w.startsWith('delete pods'))).toHaveLength(2);
  });

  it('Indexed mode gives each pod its index, env and hostname', async () => {
    const h = harness();
    h.seed('jobs', makeJob({ completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    const c = new JobController(h.ctx);
    await step(h, c);
    const ps = pods(h).sort((a, b) =>
      a.metadata.annotations!['batch.kubernetes.io/job-completion-index']!.localeCompare(
        b.metadata.annotations!['batch.kubernetes.io/job-completion-index']!,
      ),
    );
    expect(ps.map((p) => p.metadata.labels!['batch.kubernetes.io/job-completion-index'])).toEqual([
      '0',
      '1',
      '2',
    ]);
    expect(ps[1]!.metadata.generateName).toBe('pi-1-');
    expect(ps[1]!.spec!.hostname).toBe('pi-1');
    expect(ps[1]!.spec!.containers[0]!.env).toEqual([
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
      },
    ]);
    await finishPod(h, ps[0]!, 'Succeeded');
    await finishPod(h, ps[2]!, 'Succeeded');
    await step(h, c);
    expect(job(h).status).toMatchObject({ completedIndexes: '0,2', succeeded: 2, active: 1 });
  });

  it('deletes a finished job after ttlSecondsAfterFinished', async () => {
    const h = harness();
    h.seed('jobs', makeJob({ ttlSecondsAfterFinished: 60, completions: 1 }));
    const c = new JobController(h.ctx);
    await step(h, c);
    await finishPod(h, pods(h)[0]!, 'Succeeded');
    expect(await step(h, c)).toEqual({ requeueAfterMs: 60_000 });
    h.clock.step(60_000);
    await step(h, c);
    expect(h.writes()).toContain('delete jobs default/pi');
  });
});
