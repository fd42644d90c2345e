/**
 * Integration: the controller manager against a real apiserver with a simulated binder and
 * kubelets (see cluster-sim.ts).
 */
import type { KubeObject } from '@keelson/api';
import { newSharedInformer } from '@keelson/client';
import type { Deployment, Job, Pod, ReplicaSet } from '../src/types';
import { startSimCluster, waitFor, type SimCluster } from './cluster-sim';

jest.setTimeout(180_000);

const deployment = (
  name: string,
  replicas: number,
  image: string,
  extra: Partial<Deployment['spec']> = {},
): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'c', image }],
        tolerations: [
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 1,
          },
        ],
      },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
    ...extra,
  },
});

describe('controller manager (integration)', () => {
  let c: SimCluster;
  beforeAll(async () => {
    c = await startSimCluster(['node-a', 'node-b', 'node-c'], {
      controllers: ['*'],
      nodeMonitorGracePeriodMs: 5_000,
      jobBackoffBaseMs: 100,
    });
  });
  afterAll(async () => {
    await c?.close();
  });

  const pods = async (sel: string, ns = 'default') =>
    (await c.client.resource<Pod>('pods').list(ns, { labelSelector: sel })).items;
  const activePods = async (sel: string) => (await pods(sel)).filter((p) => !p.metadata.deletionTimestamp);

  it('rolls a Deployment out, updates it without dropping below replicas - maxUnavailable, and rolls back', async () => {
    const dc = c.client.resource<Deployment>('deployments');
    await dc.create(deployment('web', 4, 'busybox:1'));
    await waitFor(
      async () => {
        const d = await dc.get('default', 'web');
        return (
          d.status?.availableReplicas === 4 &&
          d.status.updatedReplicas === 4 &&
          d.status.observedGeneration === d.metadata.generation
        );
      },
      45_000,
      'initial rollout',
    );
    const status = await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=10s']);
    expect(status.stdout).toContain('successfully rolled out');

    // Watch pods and track the minimum number of ready, non-terminating pods.
    const inf = newSharedInformer<Pod>(c.client, 'pods', { namespace: 'default' });
    let minReady = Infinity;
    const check = () => {
      const ready = inf
        .lister()
        .list()
        .filter(
          (p) =>
            p.metadata.labels?.app === 'web' &&
            !p.metadata.deletionTimestamp &&
            p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
        ).length;
      minReady = Math.min(minReady, ready);
    };
    inf.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    inf.run();
    await inf.whenSynced();
    // The initial list adds pods one by one; measure from the synced state on.
    minReady = Infinity;
    check();
    expect(minReady).toBe(4);
    const d = await dc.get('default', 'web');
    d.spec.template.spec.containers[0].image = 'busybox:2';
    await dc.update(d);
    await waitFor(
      async () => {
        const x = await dc.get('default', 'web');
        return (
          x.status?.updatedReplicas === 4 &&
          x.status.replicas === 4 &&
          x.status.availableReplicas === 4 &&
          x.status.observedGeneration === x.metadata.generation
        );
      },
      60_000,
      'rolling update',
    );
    inf.stop();
    expect(minReady).toBeGreaterThanOrEqual(3);
    const rsList = (
      await c.client.resource<ReplicaSet>('replicasets').list('default', { labelSelector: 'app=web' })
    ).items;
    expect(rsList).toHaveLength(2);
    const first = rsList.find((r) => r.spec.template.spec.containers[0].image === 'busybox:1')!;
    expect(first.spec.replicas).toBe(0);
    const hist = await c.kubectl(['rollout', 'history', 'deployment/web']);
    expect(hist.code).toBe(0);

    // kubectl rollout undo (client-side template patch) → the old set is reused with revision 3.
    const undo = await c.kubectl(['rollout', 'undo', 'deployment/web']);
    expect(undo.stderr).toBe('');
    expect(undo.stdout).toContain('rolled back');
    await waitFor(
      async () => {
        const rs = await c.client.resource<ReplicaSet>('replicasets').get('default', first.metadata.name!);
        const x = await dc.get('default', 'web');
        return (
          rs.spec.replicas === 4 &&
          rs.status?.availableReplicas === 4 &&
          x.status?.updatedReplicas === 4 &&
          x.status.replicas === 4
        );
      },
      60_000,
      'rollback',
    );
    const reused = await c.client.resource<ReplicaSet>('replicasets').get('default', first.metadata.name!);
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(
      (await c.client.resource<ReplicaSet>('replicasets').list('default', { labelSelector: 'app=web' }))
        .items,
    ).toHaveLength(2);
    const desc = await c.kubectl(['describe', 'deployment', 'web']);
    expect(desc.stdout).toMatch(/ScalingReplicaSet\s+.*Scaled up replica set web-\w+ from 0 to 1/);
  });

  it('replaces a deleted pod', async () => {
    await c.client.resource<Deployment>('deployments').create(deployment('again', 2, 'busybox'));
    await waitFor(
      async () => (await activePods('app=again')).filter((p) => p.status?.phase === 'Running').length === 2,
      45_000,
      'two pods',
    );
    const [victim] = await activePods('app=again');
    await c.client.resource('pods').delete('default', victim!.metadata.name!);
    await waitFor(
      async () => {
        const ps = await activePods('app=again');
        return (
          ps.length === 2 &&
          !ps.some((p) => p.metadata.name === victim!.metadata.name) &&
          ps.every((p) => p.status?.phase === 'Running')
        );
      },
      45_000,
      'replacement pod',
    );
  });

  it('deletes the pods of a node whose heartbeats stop; the ReplicaSet recreates them elsewhere', async () => {
    await c.client.resource<Deployment>('deployments').create(deployment('spread', 3, 'busybox'));
    await waitFor(
      async () => (await activePods('app=spread')).filter((p) => p.status?.phase === 'Running').length === 3,
      45_000,
      'three pods',
    );
    const onC = (await activePods('app=spread')).filter((p) => p.spec.nodeName === 'node-c');
    c.stopNode('node-c');
    await waitFor(
      async () => {
        const n = await c.client.resource('nodes').get(undefined, 'node-c');
        const ready = (
          n as unknown as { status: { conditions: { type: string; status: string }[] } }
        ).status.conditions.find((x) => x.type === 'Ready');
        return (
          ready?.status === 'Unknown' &&
          (n as unknown as { spec: { taints?: { key: string }[] } }).spec.taints?.some(
            (t) => t.key === 'node.kubernetes.io/unreachable',
          )
        );
      },
      45_000,
      'node-c Unknown and tainted',
    );
    await waitFor(
      async () => {
        const ps = await activePods('app=spread');
        return (
          ps.length === 3 && ps.every((p) => p.spec.nodeName !== 'node-c' && p.status?.phase === 'Running')
        );
      },
      45_000,
      'pods moved off node-c',
    );
    if (onC.length) {
      const old = await c.client.resource<Pod>('pods').get('default', onC[0]!.metadata.name!);
      expect(old.metadata.deletionTimestamp).toBeDefined();
    }
  });

  it('retries a failing Job up to backoffLimit, then fails it', async () => {
    const jc = c.client.resource<Job>('jobs');
    await jc.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'flaky', namespace: 'default' },
      spec: {
        backoffLimit: 2,
        template: {
          metadata: { labels: { 'sim/outcome': 'fail' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    const j = await waitFor(
      async () => {
        const x = await jc.get('default', 'flaky');
        return x.status?.conditions?.some((k) => k.type === 'Failed' && k.status === 'True') ? x : undefined;
      },
      60_000,
      'job failed',
    );
    expect(j!.status).toMatchObject({ failed: 3, active: 0 });
    expect(j!.status!.conditions!.find((k) => k.type === 'Failed')!.reason).toBe('BackoffLimitExceeded');
    const ps = await pods('batch.kubernetes.io/job-name=flaky');
    expect(ps).toHaveLength(3);
    expect(ps.every((p) => !(p.metadata.finalizers ?? []).length)).toBe(true);

    await jc.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'ok', namespace: 'default' },
      spec: {
        completions: 2,
        parallelism: 2,
        template: {
          metadata: { labels: { 'sim/outcome': 'succeed' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    await waitFor(
      async () =>
        (await jc.get('default', 'ok')).status?.conditions?.some(
          (k) => k.type === 'Complete' && k.status === 'True',
        ),
      45_000,
      'job complete',
    );
  });

  it('cascading deletes: Background, Foreground and Orphan', async () => {
    const dc = c.client.resource<Deployment>('deployments');
    const rsc = c.client.resource<ReplicaSet>('replicasets');
    for (const n of ['bg', 'fg', 'orph']) await dc.create(deployment(n, 2, 'busybox'));
    for (const n of ['bg', 'fg', 'orph'])
      await waitFor(
        async () => (await activePods(`app=${n}`)).filter((p) => p.status?.phase === 'Running').length === 2,
        45_000,
        `${n} pods`,
      );

    await dc.delete('default', 'bg', { propagationPolicy: 'Background' });
    await waitFor(
      async () =>
        (await rsc.list('default', { labelSelector: 'app=bg' })).items.length === 0 &&
        (await pods('app=bg')).length === 0,
      45_000,
      'background cascade',
    );

    // The apiserver answers with the object, now carrying the foregroundDeletion finalizer.
    const fg = (await dc.delete('default', 'fg', { propagationPolicy: 'Foreground' })) as Deployment;
    expect(fg.metadata.finalizers).toContain('foregroundDeletion');
    await waitFor(
      async () => {
        try {
          await dc.get('default', 'fg');
          return false;
        } catch {
          return (
            (await rsc.list('default', { labelSelector: 'app=fg' })).items.length === 0 &&
            (await pods('app=fg')).length === 0
          );
        }
      },
      45_000,
      'foreground cascade',
    );

    await dc.delete('default', 'orph', { propagationPolicy: 'Orphan' });
    await waitFor(
      async () => {
        try {
          await dc.get('default', 'orph');
          return false;
        } catch {
          return true;
        }
      },
      45_000,
      'orphaning owner gone',
    );
    const left = (await rsc.list('default', { labelSelector: 'app=orph' })).items;
    expect(left).toHaveLength(1);
    expect(left[0]!.metadata.ownerReferences ?? []).toEqual([]);
    expect((await activePods('app=orph')).length).toBe(2);
  });

  it('namespace deletion removes everything in it', async () => {
    await c.client
      .resource('namespaces')
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } as KubeObject);
    await waitFor(
      async () => c.client.resource('serviceaccounts').get('doomed', 'default'),
      30_000,
      'default ServiceAccount',
    );
    const d = deployment('inner', 2, 'busybox');
    d.metadata.namespace = 'doomed';
    await c.client.resource<Deployment>('deployments').create(d);
    await c.client.resource('configmaps').create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'doomed' },
    } as KubeObject);
    await waitFor(
      async () =>
        (await c.client.resource<Pod>('pods').list('doomed')).items.filter(
          (p) => p.status?.phase === 'Running',
        ).length === 2,
      45_000,
      'pods in doomed',
    );
    await c.client.resource('namespaces').delete(undefined, 'doomed');
    await waitFor(
      async () => {
        try {
          await c.client.resource('namespaces').get(undefined, 'doomed');
          return false;
        } catch {
          return true;
        }
      },
      60_000,
      'namespace gone',
    );
    expect((await c.client.resource('pods').list('doomed')).items).toEqual([]);
    expect((await c.client.resource('configmaps').list('doomed')).items).toEqual([]);
  });

  it('runs a StatefulSet in ordinal order and a DaemonSet on every node', async () => {
    await c.client.resource('statefulsets').create({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    } as KubeObject);
    await waitFor(
      async () => (await activePods('app=db')).filter((p) => p.status?.phase === 'Running').length === 3,
      45_000,
      'statefulset pods',
    );
    const names = (await activePods('app=db')).map((p) => p.metadata.name).sort();
    expect(names).toEqual(['db-0', 'db-1', 'db-2']);
    const db0 = (await activePods('app=db')).find((p) => p.metadata.name === 'db-0')!;
    expect(db0.spec.hostname).toBe('db-0');
    expect(db0.spec.subdomain).toBe('db');
    await c.client.resource('daemonsets').create({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    } as KubeObject);
    // node-c was lost in an earlier test: its taints are tolerated by daemon pods, but its kubelet is gone.
    await waitFor(
      async () => {
        const ps = (await activePods('app=agent')).filter((p) => p.status?.phase === 'Running');
        return ps.length === 2 && new Set(ps.map((p) => p.spec.nodeName)).size === 2;
      },
      45_000,
      'daemon pods on live nodes',
    );
  });

  it('kubectl rollout restart rolls the pods', async () => {
    const before = (await activePods('app=again')).map((p) => p.metadata.name);
    const r = await c.kubectl(['rollout', 'restart', 'deployment/again']);
    expect(r.stdout).toContain('restarted');
    await waitFor(
      async () => {
        const ps = await activePods('app=again');
        return (
          ps.length === 2 &&
          ps.every((p) => !before.includes(p.metadata.name) && p.status?.phase === 'Running')
        );
      },
      60_000,
      'restarted pods',
    );
  });

  it('keeps Endpoints and EndpointSlices for a Service', async () => {
    await c.client.resource<Deployment>('deployments').create(deployment('svcapp', 2, 'busybox'));
    await c.client.resource('services').create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svcapp', namespace: 'default' },
      spec: {
        selector: { app: 'svcapp' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    } as KubeObject);
    await waitFor(
      async () => {
        const ep = (await c.client.resource('endpoints').get('default', 'svcapp')) as unknown as {
          subsets?: { addresses?: unknown[]; ports?: { port: number }[] }[];
        };
        return ep.subsets?.[0]?.addresses?.length === 2 && ep.subsets[0].ports?.[0]?.port === 8080;
      },
      45_000,
      'endpoints',
    );
    await waitFor(
      async () => {
        const sl = (
          await c.client
            .resource('endpointslices')
            .list('default', { labelSelector: 'kubernetes.io/service-name=svcapp' })
        ).items as unknown as { endpoints: { conditions: { ready: boolean } }[] }[];
        return (
          sl.length === 1 &&
          sl[0]!.endpoints.length === 2 &&
          sl[0]!.endpoints.every((e) => e.conditions.ready)
        );
      },
      45_000,
      'endpointslice',
    );
  });

  it('reports each controller work queue in workqueue_adds_total and workqueue_depth', async () => {
    const text = await c.cm!.health.registry.metrics();
    const adds = Number(/^workqueue_adds_total\{name="replicaset"\} (\d+)$/m.exec(text)?.[1]);
    expect(adds).toBeGreaterThan(0);
    expect(text).toMatch(/^workqueue_depth\{name="deployment"\} \d+$/m);
    for (const check of c.cm!.health.readyChecks ?? []) expect(() => check.check()).not.toThrow();
  });
});
