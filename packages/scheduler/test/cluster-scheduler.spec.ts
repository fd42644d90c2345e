/**
 * The cluster scheduler against a real apiserver (in-process, memory storage) with fake nodes:
 * pods get bound through pods/binding, an unschedulable pod gets FailedScheduling and
 * PodScheduled=False, and a new node makes it schedulable.
 */
import type { Node, Pod } from '@keelson/api';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, type Clientset } from '@keelson/client';
import { startScheduler, type RunningScheduler } from '../src/cluster/cluster-scheduler';
import { makeNode, makePod } from '../src/testing/wrappers';

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('cluster scheduler with a real apiserver', () => {
  let api: RunningApiServer;
  let client: Clientset;
  let sched: RunningScheduler;

  const addNode = async (n: Node) => {
    const created = (await client.resource<Node>('nodes').create({ ...n, status: undefined })) as Node;
    await client.resource<Node>('nodes').updateStatus({ ...created, status: n.status });
  };
  const podNode = async (name: string) =>
    ((await client.resource<Pod>('pods').get('default', name)) as Pod).spec?.nodeName;

  beforeAll(async () => {
    api = await startApiServer({ storage: 'memory', port: 0, grpcPort: 0 });
    client = createClientset({ grpcAddress: api.grpcAddress });
    await addNode(makeNode('small').capacity({ cpu: '1', memory: '1Gi', pods: '110' }).obj());
    await addNode(makeNode('big').capacity({ cpu: '8', memory: '16Gi', pods: '110' }).obj());
    sched = await startScheduler({ podInitialBackoffMs: 100, podMaxBackoffMs: 500 }, client);
  });
  afterAll(async () => {
    await sched?.stop();
    client?.close();
    await api?.close();
  });

  it('binds pods to nodes that fit them', async () => {
    const pod = makePod('needs-2-cpu').req({ cpu: '2', memory: '1Gi' }).obj();
    delete pod.metadata.uid;
    await client.resource<Pod>('pods').create(pod);
    expect(
      await eventually(
        () => podNode('needs-2-cpu'),
        (n) => !!n,
      ),
    ).toBe('big');
  });

  it('reports an unschedulable pod as upstream does, then places it when a node appears', async () => {
    const pod = makePod('huge').req({ cpu: '32' }).obj();
    delete pod.metadata.uid;
    await client.resource<Pod>('pods').create(pod);
    const cond = await eventually(
      async () =>
        ((await client.resource<Pod>('pods').get('default', 'huge')) as Pod).status?.conditions?.find(
          (c) => c.type === 'PodScheduled',
        ),
      (c) => !!c,
    );
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(cond!.message).toMatch(/^0\/2 nodes are available: 2 Insufficient cpu\./);
    const events = await eventually(
      async () =>
        (await client.resource('events').list('default')).items as Array<{
          reason?: string;
          message?: string;
          involvedObject?: { name?: string };
        }>,
      (ev) => ev.some((e) => e.reason === 'FailedScheduling' && e.involvedObject?.name === 'huge'),
    );
    expect(events.find((e) => e.reason === 'FailedScheduling')!.message).toContain('Insufficient cpu');

    await addNode(makeNode('giant').capacity({ cpu: '64', memory: '64Gi', pods: '110' }).obj());
    expect(
      await eventually(
        () => podNode('huge'),
        (n) => !!n,
      ),
    ).toBe('giant');
  });

  it('records a Scheduled event', async () => {
    const events = await eventually(
      async () =>
        (await client.resource('events').list('default')).items as Array<{
          reason?: string;
          message?: string;
        }>,
      (ev) => ev.some((e) => e.reason === 'Scheduled'),
    );
    expect(events.find((e) => e.reason === 'Scheduled')!.message).toMatch(
      /^Successfully assigned default\/\S+ to \S+$/,
    );
  });

  it('counts attempts by result and reports readiness in its health options', async () => {
    const text = await sched.health.registry.metrics();
    const value = (result: string) =>
      Number(
        new RegExp(
          `^scheduler_schedule_attempts_total\\{result="${result}",profile="default-scheduler"\\} (\\d+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    expect(value('scheduled')).toBeGreaterThanOrEqual(2);
    expect(value('unschedulable')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      /^scheduler_scheduling_attempt_duration_seconds_count\{result="scheduled",profile="default-scheduler"\} \d+$/m,
    );
    expect(text).toMatch(/^scheduler_pending_pods\{queue="active"\} 0$/m);
    for (const c of sched.health.readyChecks ?? []) expect(() => c.check()).not.toThrow();
  });
});
