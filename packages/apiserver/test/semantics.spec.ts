// Kubernetes object semantics through the protocol-neutral handler on in-memory storage:
// generateName, generation, status subresource, scale, graceful deletion, finalizers,
// propagation policy, namespace lifecycle, ClusterIP/NodePort allocation, watch semantics.
import type { KubeObject } from '@keelson/api';
import { ApiError, startApiServer, type RunningApiServer } from '../src';

let s: RunningApiServer;
const clock = new Date('2026-01-01T00:00:00Z');
beforeAll(async () => {
  s = await startApiServer({
    storage: 'memory',
    compactionIntervalMs: 0,
    now: () => clock,
    watchCacheSize: 50,
  });
});
afterAll(async () => {
  await s?.close();
});

const core = (resource: string, namespace = 'default', name = '', subresource = '') => ({
  group: '',
  version: 'v1',
  resource,
  namespace,
  name,
  subresource,
});
const apps = (resource: string, namespace = 'default', name = '', subresource = '') => ({
  group: 'apps',
  version: 'v1',
  resource,
  namespace,
  name,
  subresource,
});
const h = () => s.handler;
const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra },
});
const deploy = (name: string, replicas = 1) => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
  },
});
async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
}

it('generates names and sets uid, creationTimestamp, generation', async () => {
  const r = await h().create(core('configmaps'), { metadata: { generateName: 'cfg-' } });
  const o = r.object as KubeObject;
  expect(o.metadata.name).toMatch(/^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  expect(o.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(o.metadata.creationTimestamp).toBe('2026-01-01T00:00:00Z');
  const d = (await h().create(apps('deployments'), deploy('gen'))).object as any;
  expect(d.metadata.generation).toBe(1);
  const relabeled = (
    await h().patch(
      apps('deployments', 'default', 'gen'),
      'application/merge-patch+json',
      Buffer.from('{"metadata":{"labels":{"a":"b"}}}'),
    )
  ).object as any;
  expect(relabeled.metadata.generation).toBe(1);
  const scaled = (
    await h().patch(
      apps('deployments', 'default', 'gen'),
      'application/merge-patch+json',
      Buffer.from('{"spec":{"replicas":3}}'),
    )
  ).object as any;
  expect(scaled.metadata.generation).toBe(2);
});

it('keeps status and spec apart (status subresource)', async () => {
  await h().create(apps('deployments'), deploy('st'));
  const cur = (await h().get(apps('deployments', 'default', 'st'))) as any;
  const withStatus = {
    ...cur,
    spec: { ...cur.spec, replicas: 9 },
    status: { replicas: 1, readyReplicas: 1 },
  };
  const r1 = (await h().update(apps('deployments', 'default', 'st', 'status'), withStatus)).object as any;
  expect(r1.status).toEqual({ replicas: 1, readyReplicas: 1 });
  expect(r1.spec.replicas).toBe(1);
  expect(r1.metadata.generation).toBe(1);
  const r2 = (
    await h().update(apps('deployments', 'default', 'st'), {
      ...r1,
      spec: { ...r1.spec, replicas: 4 },
      status: { replicas: 99 },
    })
  ).object as any;
  expect(r2.spec.replicas).toBe(4);
  expect(r2.status).toEqual({ replicas: 1, readyReplicas: 1 });
  expect(r2.metadata.generation).toBe(2);
});

it('serves autoscaling/v1 Scale and writes replicas through it', async () => {
  await h().create(apps('replicasets'), deploy('rs', 2));
  const scale = (await h().get(apps('replicasets', 'default', 'rs', 'scale'))) as any;
  expect(scale).toMatchObject({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    spec: { replicas: 2 },
    status: { replicas: 0, selector: 'app=rs' },
  });
  await h().update(apps('replicasets', 'default', 'rs', 'scale'), { ...scale, spec: { replicas: 6 } });
  expect(((await h().get(apps('replicasets', 'default', 'rs'))) as any).spec.replicas).toBe(6);
  expect(
    await code(
      h().update(apps('replicasets', 'default', 'rs', 'scale'), { ...scale, spec: { replicas: 7 } }),
    ),
  ).toBe(409);
  expect(
    await code(h().update(apps('replicasets', 'default', 'rs', 'scale'), { spec: { replicas: -1 } })),
  ).toBe(422);
});

it('deletes scheduled pods gracefully; the kubelet finishes with gracePeriodSeconds=0', async () => {
  await h().create(core('pods'), pod('g', { nodeName: 'n1', terminationGracePeriodSeconds: 20 }));
  const r = await h().delete(core('pods', 'default', 'g'));
  expect(r.code).toBe(202);
  const marked = (await h().get(core('pods', 'default', 'g'))) as any;
  expect(marked.metadata.deletionGracePeriodSeconds).toBe(20);
  expect(marked.metadata.deletionTimestamp).toBe('2026-01-01T00:00:20Z');
  // a second delete with a longer period changes nothing
  expect((await h().delete(core('pods', 'default', 'g'), { gracePeriodSeconds: 60 })).code).toBe(202);
  expect(((await h().get(core('pods', 'default', 'g'))) as any).metadata.deletionGracePeriodSeconds).toBe(20);
  expect((await h().delete(core('pods', 'default', 'g'), { gracePeriodSeconds: 0 })).code).toBe(200);
  expect(await code(h().get(core('pods', 'default', 'g')))).toBe(404);
  // unscheduled pods go at once
  await h().create(core('pods'), pod('u'));
  expect((await h().delete(core('pods', 'default', 'u'))).code).toBe(200);
});

it('keeps objects with finalizers until they are removed; propagationPolicy becomes a finalizer', async () => {
  await h().create(core('configmaps'), { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
  expect((await h().delete(core('configmaps', 'default', 'fin'))).code).toBe(202);
  const held = (await h().get(core('configmaps', 'default', 'fin'))) as any;
  expect(held.metadata.deletionTimestamp).toBeTruthy();
  await h().patch(
    core('configmaps', 'default', 'fin'),
    'application/json-patch+json',
    Buffer.from('[{"op":"remove","path":"/metadata/finalizers"}]'),
  );
  expect(await code(h().get(core('configmaps', 'default', 'fin')))).toBe(404);

  await h().create(apps('deployments'), deploy('orphaned'));
  await h().delete(apps('deployments', 'default', 'orphaned'), { propagationPolicy: 'Orphan' });
  expect(((await h().get(apps('deployments', 'default', 'orphaned'))) as any).metadata.finalizers).toEqual([
    'orphan',
  ]);
  await h().create(apps('deployments'), deploy('fg'));
  await h().delete(apps('deployments', 'default', 'fg'), { propagationPolicy: 'Foreground' });
  expect(((await h().get(apps('deployments', 'default', 'fg'))) as any).metadata.finalizers).toEqual([
    'foregroundDeletion',
  ]);
  expect(
    await code(h().delete(apps('deployments', 'default', 'fg'), { propagationPolicy: 'Sideways' })),
  ).toBe(400);
  expect(
    await code(h().delete(apps('deployments', 'default', 'fg'), { preconditions: { uid: 'nope' } })),
  ).toBe(409);
});

it('runs the namespace lifecycle through namespaces/finalize', async () => {
  const ns = (await h().create(core('namespaces', ''), { metadata: { name: 'tmp' } })).object as any;
  expect(ns.spec.finalizers).toEqual(['kubernetes']);
  expect(ns.status.phase).toBe('Active');
  await h().create(core('configmaps', 'tmp'), { metadata: { name: 'inside' } });
  const del = await h().delete(core('namespaces', '', 'tmp'));
  expect(del.code).toBe(202);
  expect((del.object as any).status.phase).toBe('Terminating');
  expect(await code(h().create(core('configmaps', 'tmp'), { metadata: { name: 'late' } }))).toBe(403);
  expect(await code(h().delete(core('namespaces', '', 'tmp')))).toBe(409);
  const cur = (await h().get(core('namespaces', '', 'tmp'))) as any;
  await h().update(core('namespaces', '', 'tmp', 'finalize'), { ...cur, spec: { finalizers: [] } });
  expect(await code(h().get(core('namespaces', '', 'tmp')))).toBe(404);
  expect(await code(h().delete(core('namespaces', '', 'default')))).toBe(403);
  expect(await code(h().create(core('configmaps', 'ghost'), { metadata: { name: 'x' } }))).toBe(404);
});

it('allocates ClusterIPs and NodePorts and frees them on delete', async () => {
  const svc = (name: string, spec: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: { ports: [{ port: 80 }], ...spec },
  });
  const a = (await h().create(core('services'), svc('a'))).object as any;
  expect(a.spec.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
  expect(a.spec.clusterIPs).toEqual([a.spec.clusterIP]);
  expect(a.spec.ports[0]).toMatchObject({ protocol: 'TCP', targetPort: 80 });
  const dns = (
    await h().create(core('services', 'kube-system'), svc('kube-dns', { clusterIP: '10.96.0.10' }))
  ).object as any;
  expect(dns.spec.clusterIP).toBe('10.96.0.10');
  expect(await code(h().create(core('services'), svc('taken', { clusterIP: '10.96.0.10' })))).toBe(422);
  expect(await code(h().create(core('services'), svc('outside', { clusterIP: '192.168.1.1' })))).toBe(422);
  const np = (await h().create(core('services'), svc('np', { type: 'NodePort' }))).object as any;
  expect(np.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
  expect(np.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
  const fixed = (
    await h().create(
      core('services'),
      svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }),
    )
  ).object as any;
  expect(fixed.spec.ports[0].nodePort).toBe(31000);
  expect(
    await code(
      h().create(core('services'), svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] })),
    ),
  ).toBe(422);
  const headless = (await h().create(core('services'), svc('hl', { clusterIP: 'None' }))).object as any;
  expect(headless.spec.clusterIP).toBe('None');
  // clusterIP survives an update without it and cannot be changed
  const upd = (
    await h().update(core('services', 'default', 'a'), {
      ...a,
      spec: { ...a.spec, clusterIP: undefined, clusterIPs: undefined },
    })
  ).object as any;
  expect(upd.spec.clusterIP).toBe(a.spec.clusterIP);
  expect(
    await code(
      h().update(core('services', 'default', 'a'), {
        ...upd,
        spec: { ...upd.spec, clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'] },
      }),
    ),
  ).toBe(422);
  await h().delete(core('services', 'default', 'np2'));
  const again = (
    await h().create(
      core('services'),
      svc('np4', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }),
    )
  ).object as any;
  expect(again.spec.ports[0].nodePort).toBe(31000);
});

function collect() {
  const events: Array<{ type: string; obj: any }> = [];
  let ended: Error | undefined | null = null;
  return {
    events,
    get ended() {
      return ended;
    },
    sink: { event: (type: string, obj: any) => events.push({ type, obj }), end: (e?: Error) => (ended = e) },
  };
}
const settle = () => new Promise((r) => setTimeout(r, 30));

it('watches with selectors: objects leaving the selector are DELETED, entering are ADDED', async () => {
  const c = collect();
  const rv = (await h().list(core('configmaps'))).metadata.resourceVersion!;
  const stop = await h().watch(core('configmaps'), { resourceVersion: rv, labelSelector: 'team=a' }, c.sink);
  await h().create(core('configmaps'), { metadata: { name: 'sel', labels: { team: 'b' } } });
  await h().patch(
    core('configmaps', 'default', 'sel'),
    'application/merge-patch+json',
    Buffer.from('{"metadata":{"labels":{"team":"a"}}}'),
  );
  await h().patch(
    core('configmaps', 'default', 'sel'),
    'application/merge-patch+json',
    Buffer.from('{"data":{"k":"v"}}'),
  );
  await h().patch(
    core('configmaps', 'default', 'sel'),
    'application/merge-patch+json',
    Buffer.from('{"metadata":{"labels":{"team":"c"}}}'),
  );
  await settle();
  stop();
  expect(c.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
});

it('sends initial ADDED events for resourceVersion 0 and sendInitialEvents, with the end bookmark', async () => {
  const c = collect();
  const stop = await h().watch(core('namespaces', ''), { resourceVersion: '0' }, c.sink);
  stop();
  expect(c.events.filter((e) => e.type === 'ADDED').map((e) => e.obj.metadata.name)).toEqual(
    expect.arrayContaining(['default', 'kube-system']),
  );
  const c2 = collect();
  const stop2 = await h().watch(
    core('namespaces', ''),
    { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
    c2.sink,
  );
  stop2();
  const last = c2.events[c2.events.length - 1];
  expect(last.type).toBe('BOOKMARK');
  expect(last.obj.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  expect(await code(h().watch(core('namespaces', ''), { sendInitialEvents: true }, collect().sink))).toBe(
    422,
  );
});

it('answers 410 Expired for a watch older than the cache window, and for a compacted list', async () => {
  const first = (await h().list(core('configmaps'))).metadata.resourceVersion!;
  for (let i = 0; i < 60; i++) await h().create(core('configmaps'), { metadata: { name: `churn-${i}` } });
  await settle();
  const err = await h()
    .watch(core('configmaps'), { resourceVersion: first }, collect().sink)
    .catch((e) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect(err.status).toMatchObject({ code: 410, reason: 'Expired' });
  const page = await h().list(core('configmaps'), { limit: 2 });
  await h().create(core('configmaps'), { metadata: { name: 'after-page' } });
  await s.storage.compact(await s.storage.currentRevision());
  const gone = await h()
    .list(core('configmaps'), { limit: 2, continue: page.metadata.continue })
    .catch((e) => e);
  expect(gone.status).toMatchObject({ code: 410, reason: 'Expired' });
  expect(
    await code(h().list(core('configmaps'), { resourceVersion: first, resourceVersionMatch: 'Exact' })),
  ).toBe(410);
});

it('deletes collections by selector', async () => {
  for (const [n, team] of [
    ['dc1', 'x'],
    ['dc2', 'x'],
    ['dc3', 'y'],
  ])
    await h().create(core('configmaps', 'kube-public'), { metadata: { name: n, labels: { team } } });
  const gone = await h().deleteCollection(core('configmaps', 'kube-public'), { labelSelector: 'team=x' });
  expect(gone.items.map((i) => i.metadata.name).sort()).toEqual(['dc1', 'dc2']);
  const left = await h().list(core('configmaps', 'kube-public'));
  expect(left.items.map((i) => i.metadata.name)).toEqual(['dc3']);
});

it('compacts old revisions periodically', async () => {
  const c = await startApiServer({ storage: 'memory', compactionIntervalMs: 40 });
  try {
    const first = (await c.handler.create(core('configmaps'), { metadata: { name: 'old' } }))
      .object as KubeObject;
    await c.handler.patch(
      core('configmaps', 'default', 'old'),
      'application/merge-patch+json',
      Buffer.from('{"data":{"a":"b"}}'),
    );
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline) {
      status = await code(
        c.handler.list(core('configmaps'), {
          resourceVersion: first.metadata.resourceVersion,
          resourceVersionMatch: 'Exact',
        }),
      );
      if (status === 410) break;
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(status).toBe(410);
    expect(((await c.handler.get(core('configmaps', 'default', 'old'))) as any).data).toEqual({ a: 'b' });
  } finally {
    await c.close();
  }
});

it('adds ephemeral containers only through pods/ephemeralcontainers', async () => {
  await h().create(core('pods'), pod('dbg'));
  const patch = Buffer.from(
    JSON.stringify({
      spec: {
        ephemeralContainers: [{ name: 'debugger', image: 'busybox', stdin: true, tty: true }],
        nodeName: 'sneaky',
      },
    }),
  );
  const r = (
    await h().patch(
      core('pods', 'default', 'dbg', 'ephemeralcontainers'),
      'application/strategic-merge-patch+json',
      patch,
    )
  ).object as any;
  expect(r.spec.ephemeralContainers.map((c: { name: string }) => c.name)).toEqual(['debugger']);
  expect(r.spec.nodeName).toBeUndefined();
  expect(
    await code(h().patch(core('pods', 'default', 'dbg'), 'application/strategic-merge-patch+json', patch)),
  ).toBe(422);
});
