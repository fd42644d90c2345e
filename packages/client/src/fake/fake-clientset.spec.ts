import type { KubeObject, WatchEvent } from '@keelson/api';
import { FakeClientset } from './fake-clientset';
import { ApiError, isAlreadyExists, isConflict, isGone, isNotFound, newNotFound } from '../errors';

const pod = (
  name: string,
  extra: Record<string, unknown> = {},
  labels?: Record<string, string>,
): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns1', labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    ...extra,
  }) as KubeObject;

const flush = () => new Promise((r) => setImmediate(r));

function collect(cs: FakeClientset, resource: string, ns: string | undefined, opts = {}) {
  const events: Array<{ type: string; name?: string; rv?: string }> = [];
  const closed: Array<Error | undefined> = [];
  const h = cs.resource(resource).watch(ns, opts, {
    onEvent: (e: WatchEvent) =>
      events.push({ type: e.type, name: e.object.metadata.name, rv: e.object.metadata.resourceVersion }),
    onClose: (err) => closed.push(err),
  });
  return { events, closed, h };
}

describe('FakeClientset', () => {
  it('create sets server metadata and records the action', async () => {
    const cs = new FakeClientset({ now: () => Date.parse('2024-05-01T12:00:00.500Z') });
    const p = await cs.resource('pods').create(pod('a'));
    expect(p.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.metadata.resourceVersion).toBe('1');
    expect(p.metadata.generation).toBe(1);
    expect(p.metadata.creationTimestamp).toBe('2024-05-01T12:00:00Z');
    expect((p as { status?: { phase?: string } }).status?.phase).toBe('Pending');
    expect(cs.actions).toEqual([
      { verb: 'create', resource: 'pods', group: '', namespace: 'ns1', name: 'a', object: pod('a') },
    ]);
    cs.clearActions();
    expect(cs.actions).toEqual([]);
  });

  it('generateName makes a unique name; missing name is 422', async () => {
    const cs = new FakeClientset();
    const p = await cs.resource('pods').create({ metadata: { generateName: 'web-', namespace: 'ns1' } });
    expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await expect(cs.resource('pods').create({ metadata: { namespace: 'ns1' } })).rejects.toMatchObject({
      code: 422,
      reason: 'Invalid',
    });
    await expect(
      cs.resource('pods').create({ metadata: { name: 'x', namespace: 'ns1', resourceVersion: '3' } }),
    ).rejects.toMatchObject({ code: 400 });
    const created = await cs
      .resource('deployments')
      .create({ metadata: { name: 'd', namespace: 'ns1' }, status: { replicas: 4 } } as KubeObject);
    expect((created as { status?: unknown }).status).toBeUndefined();
    const node = await cs
      .resource('nodes')
      .create({ metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } } as KubeObject);
    expect((node as { status?: unknown }).status).toEqual({ capacity: { cpu: '2' } });
  });

  it('404, 409 AlreadyExists and 409 Conflict as ApiError', async () => {
    const cs = new FakeClientset();
    const pods = cs.resource('pods');
    const err = await pods.get('ns1', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toBe('pods "x" not found');
    const a = await pods.create(pod('a'));
    expect(isAlreadyExists(await pods.create(pod('a')).catch((e) => e))).toBe(true);
    const a2 = await pods.update({ ...a, metadata: { ...a.metadata, labels: { x: '1' } } });
    expect(Number(a2.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    const stale = await pods
      .update({ ...a, metadata: { ...a.metadata, labels: { x: '2' } } })
      .catch((e) => e);
    expect(isConflict(stale)).toBe(true);
    expect(stale.code).toBe(409);
  });

  it('update keeps status, bumps generation on spec change, no-op keeps resourceVersion', async () => {
    const cs = new FakeClientset();
    const deps = cs.resource('deployments', 'apps/v1');
    const d = await deps.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'ns1' },
      spec: { replicas: 1 },
    } as KubeObject);
    const same = await deps.update(d);
    expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    const d2 = await deps.update({ ...d, spec: { replicas: 3 }, status: { replicas: 99 } } as KubeObject);
    expect(d2.metadata.generation).toBe(2);
    expect((d2 as { status?: unknown }).status).toBeUndefined();
    const d3 = await deps.updateStatus({
      ...d2,
      spec: { replicas: 7 },
      status: { replicas: 3 },
    } as KubeObject);
    expect((d3 as unknown as { spec: { replicas: number } }).spec.replicas).toBe(3);
    expect((d3 as unknown as { status: { replicas: number } }).status.replicas).toBe(3);
    expect(d3.metadata.generation).toBe(2);
    expect(cs.actions.map((a) => [a.verb, a.subresource])).toEqual([
      ['create', undefined],
      ['update', undefined],
      ['update', undefined],
      ['update', 'status'],
    ]);
  });

  it('label and field selectors in list', async () => {
    const cs = new FakeClientset();
    cs.seed([
      pod('a', { spec: { nodeName: 'n1' }, status: { phase: 'Running' } }, { app: 'web' }),
      pod('b', { spec: { nodeName: 'n2' }, status: { phase: 'Pending' } }, { app: 'db' }),
      pod('c', {}, { app: 'web', tier: 'x' }),
      { ...pod('d'), metadata: { name: 'd', namespace: 'ns2', labels: { app: 'web' } } },
    ]);
    const names = async (ns: string | undefined, opts: object) =>
      (await cs.resource('pods').list(ns, opts)).items.map((p) => p.metadata.name);
    expect(await names(undefined, { labelSelector: 'app=web' })).toEqual(['a', 'c', 'd']);
    expect(await names('ns1', { labelSelector: 'app=web' })).toEqual(['a', 'c']);
    expect(await names('ns1', { labelSelector: 'app in (web,db),!tier' })).toEqual(['a', 'b']);
    expect(await names(undefined, { fieldSelector: 'spec.nodeName=n1' })).toEqual(['a']);
    expect(await names(undefined, { fieldSelector: 'spec.nodeName=' })).toEqual(['c', 'd']);
    expect(await names(undefined, { fieldSelector: 'status.phase!=Running,metadata.namespace=ns1' })).toEqual(
      ['b', 'c'],
    );
    expect(await names(undefined, { fieldSelector: 'metadata.name=b' })).toEqual(['b']);
    const list = await cs.resource('pods').list('ns1', { limit: 2 });
    expect(list.items.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(list.metadata.remainingItemCount).toBe(1);
    const rest = await cs.resource('pods').list('ns1', { limit: 2, continue: list.metadata.continue });
    expect(rest.items.map((p) => p.metadata.name)).toEqual(['c']);
    expect(rest.metadata.continue).toBeUndefined();
    expect(list.kind).toBe('PodList');
  });

  it('watch delivers ADDED/MODIFIED/DELETED asynchronously in order', async () => {
    const cs = new FakeClientset();
    const pods = cs.resource('pods');
    const w = collect(cs, 'pods', 'ns1', { resourceVersion: String(cs.resourceVersion) });
    const pending = pods.create(pod('a'));
    expect(w.events).toEqual([]); // not synchronous
    const a = await pending;
    await pods.patch('ns1', 'a', 'merge', { metadata: { labels: { x: 'y' } } });
    await pods.create({ ...pod('other'), metadata: { name: 'other', namespace: 'ns2' } });
    await pods.delete('ns1', 'a');
    await flush();
    expect(w.events.map((e) => [e.type, e.name])).toEqual([
      ['ADDED', 'a'],
      ['MODIFIED', 'a'],
      ['DELETED', 'a'],
    ]);
    expect(w.events.map((e) => Number(e.rv))).toEqual([1, 2, 4]);
    expect(a.metadata.resourceVersion).toBe('1');
    w.h.stop();
    await flush();
    expect(w.closed).toEqual([undefined]);
    expect(cs.watchCount()).toBe(0);
  });

  it('watch with a selector sees objects leave and enter as DELETED/ADDED', async () => {
    const cs = new FakeClientset();
    const pods = cs.resource('pods');
    await pods.create(pod('a', {}, { app: 'web' }));
    const w = collect(cs, 'pods', undefined, {
      labelSelector: 'app=web',
      resourceVersion: String(cs.resourceVersion),
    });
    await pods.patch('ns1', 'a', 'merge', { metadata: { labels: { app: 'db' } } });
    await pods.patch('ns1', 'a', 'merge', { metadata: { labels: { app: 'web' } } });
    await flush();
    expect(w.events.map((e) => e.type)).toEqual(['DELETED', 'ADDED']);
  });

  it('watch from an old resourceVersion replays history; compacted is 410', async () => {
    const cs = new FakeClientset();
    const pods = cs.resource('pods');
    await pods.create(pod('a'));
    await pods.create(pod('b'));
    const w = collect(cs, 'pods', 'ns1', { resourceVersion: '1' });
    const w0 = collect(cs, 'pods', 'ns1', {});
    await flush();
    expect(w.events.map((e) => e.name)).toEqual(['b']);
    expect(w0.events.map((e) => [e.type, e.name])).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'b'],
    ]);
    cs.compact();
    const g = collect(cs, 'pods', 'ns1', { resourceVersion: '1' });
    await flush();
    expect(g.closed).toHaveLength(1);
    expect(isGone(g.closed[0])).toBe(true);
  });

  it('delete honours finalizers and graceful pod deletion', async () => {
    const cs = new FakeClientset({ now: () => 0 });
    const cms = cs.resource('configmaps');
    await cms.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'ns1', finalizers: ['x/y'] },
    });
    const pending = (await cms.delete('ns1', 'c')) as KubeObject;
    expect(pending.metadata.deletionTimestamp).toBe('1970-01-01T00:00:00Z');
    const still = await cms.get('ns1', 'c');
    await cms.update({ ...still, metadata: { ...still.metadata, finalizers: [] } });
    expect(isNotFound(await cms.get('ns1', 'c').catch((e) => e))).toBe(true);
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace: 'ns1' } });
    expect(await cms.delete('ns1', 'g', { propagationPolicy: 'Foreground' })).toMatchObject({
      kind: 'Status',
    }); // default: no GC finalizers
    const gcs = new FakeClientset({ gcFinalizers: true });
    const gcms = gcs.resource('configmaps');
    await gcms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f', namespace: 'ns1' } });
    const fg = (await gcms.delete('ns1', 'f', { propagationPolicy: 'Foreground' })) as KubeObject;
    expect(fg.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(fg.metadata.deletionTimestamp).toBeDefined();
    expect(await gcms.delete('ns1', 'f', { propagationPolicy: 'Background' })).toMatchObject({
      kind: 'Status',
      status: 'Success',
    });

    const pods = cs.resource('pods');
    await pods.create(pod('p', { spec: { nodeName: 'n1', containers: [] } }));
    const g = (await pods.delete('ns1', 'p')) as KubeObject;
    expect(g.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(g.metadata.deletionTimestamp).toBe('1970-01-01T00:00:30Z');
    expect((await pods.get('ns1', 'p')).metadata.name).toBe('p');
    const st = await pods.delete('ns1', 'p', { gracePeriodSeconds: 0 });
    expect(st).toMatchObject({ kind: 'Pod', metadata: { name: 'p' } }); // pods answer the deleted object
    expect(cs.objects('pods')).toEqual([]);
    await pods.create(pod('unbound'));
    await pods.delete('ns1', 'unbound');
    expect(cs.objects('pods')).toEqual([]);
  });

  it('binding sets nodeName and PodScheduled; rebinding is a conflict', async () => {
    const cs = new FakeClientset();
    const pods = cs.resource('pods');
    await pods.create(pod('a'));
    await pods.createSubresource('ns1', 'a', 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'a' },
      target: { kind: 'Node', name: 'n1' },
    });
    const p = (await pods.get('ns1', 'a')) as KubeObject & {
      spec: { nodeName: string };
      status: { conditions: Array<{ type: string; status: string }> };
    };
    expect(p.spec.nodeName).toBe('n1');
    expect(p.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    expect(
      isConflict(
        await pods.createSubresource('ns1', 'a', 'binding', { target: { name: 'n2' } }).catch((e) => e),
      ),
    ).toBe(true);
    expect(cs.actions[1]).toMatchObject({
      verb: 'create',
      resource: 'pods',
      subresource: 'binding',
      name: 'a',
      namespace: 'ns1',
    });
  });

  it('scale subresource reads and writes spec.replicas', async () => {
    const cs = new FakeClientset();
    const rs = cs.resource('replicasets');
    await rs.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'r', namespace: 'ns1' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'r' } } },
    } as KubeObject);
    const s = await rs.getSubresource<{ spec: { replicas: number }; status: { selector: string } }>(
      'ns1',
      'r',
      'scale',
    );
    expect(s.spec.replicas).toBe(2);
    expect(s.status.selector).toBe('app=r');
    await rs.updateSubresource('ns1', 'r', 'scale', { ...s, spec: { replicas: 5 } });
    expect(((await rs.get('ns1', 'r')) as unknown as { spec: { replicas: number } }).spec.replicas).toBe(5);
    await rs.patch('ns1', 'r', 'merge', { spec: { replicas: 1 } }, { subresource: 'scale' });
    expect(((await rs.get('ns1', 'r')) as unknown as { spec: { replicas: number } }).spec.replicas).toBe(1);
  });

  it('json and merge patches; json test failure is 422; stale rv in patch is 409', async () => {
    const cs = new FakeClientset();
    const pods = cs.resource('pods');
    await pods.create(pod('a', {}, { a: '1', b: '2' }));
    const p1 = await pods.patch('ns1', 'a', 'merge', { metadata: { labels: { a: null, c: '3' } } });
    expect(p1.metadata.labels).toEqual({ b: '2', c: '3' });
    const p2 = await pods.patch('ns1', 'a', 'json', [
      { op: 'replace', path: '/metadata/labels/b', value: 'x' },
    ]);
    expect(p2.metadata.labels).toEqual({ b: 'x', c: '3' });
    const bad = await pods
      .patch('ns1', 'a', 'json', [{ op: 'test', path: '/metadata/labels/b', value: 'nope' }])
      .catch((e) => e);
    expect(bad.code).toBe(422);
    expect(
      isConflict(
        await pods.patch('ns1', 'a', 'merge', { metadata: { resourceVersion: '1' } }).catch((e) => e),
      ),
    ).toBe(true);
    const st = await pods.patch(
      'ns1',
      'a',
      'strategic',
      { status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    expect((st as { status?: { phase?: string } }).status?.phase).toBe('Running');
    expect(cs.actions.at(-1)).toMatchObject({ verb: 'patch', subresource: 'status', patchType: 'strategic' });
  });

  it('reactors inject errors and results; actions are still recorded', async () => {
    const cs = new FakeClientset();
    cs.prependReactor('create', 'pods', (a) =>
      a.name === 'boom' ? { error: newNotFound({ group: '', resource: 'namespaces' }, 'ns1') } : undefined,
    );
    cs.prependReactor('get', '*', () => ({ result: { metadata: { name: 'canned' } } }));
    await expect(cs.resource('pods').create(pod('boom'))).rejects.toBeInstanceOf(ApiError);
    await cs.resource('pods').create(pod('ok'));
    expect((await cs.resource('nodes').get(undefined, 'x')).metadata.name).toBe('canned');
    expect(cs.actions.map((a) => `${a.verb}:${a.resource}:${a.name}`)).toEqual([
      'create:pods:boom',
      'create:pods:ok',
      'get:nodes:x',
    ]);
    const errs: Array<Error | undefined> = [];
    cs.prependReactor('watch', 'pods', () => ({ error: new ApiError({ code: 410, reason: 'Expired' }) }));
    cs.resource('pods').watch(
      'ns1',
      { resourceVersion: '1' },
      { onEvent: () => {}, onClose: (e) => errs.push(e) },
    );
    await flush();
    expect(isGone(errs[0])).toBe(true);
  });

  it('cluster-scoped resources ignore namespace; deletecollection by selector', async () => {
    const cs = new FakeClientset();
    cs.seed([{ metadata: { name: 'seeded' } }], 'nodes');
    expect(cs.peek('nodes', undefined, 'seeded')).toMatchObject({
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { resourceVersion: '1' },
    });
    cs.clearActions();
    const nodes = cs.resource('Node');
    const n = await nodes.create({ metadata: { name: 'n1', namespace: 'ignored', labels: { zone: 'a' } } });
    expect(n.metadata.namespace).toBeUndefined();
    expect(n.kind).toBe('Node');
    await nodes.create({ metadata: { name: 'n2', labels: { zone: 'b' } } });
    const gone = await nodes.deleteCollection(undefined, { labelSelector: 'zone=a' });
    expect(gone.items.map((x) => x.metadata.name)).toEqual(['n1']);
    expect(cs.objects('nodes').map((x) => x.metadata.name)).toEqual(['n2', 'seeded']);
    expect(() => cs.resource('widgets')).toThrow(/widgets/);
  });
});

describe('FakeClientset selector errors', () => {
  it('a bad or unsupported selector is 400 BadRequest', async () => {
    const cs = new FakeClientset();
    await expect(cs.resource('pods').list('ns1', { labelSelector: 'a in (' })).rejects.toMatchObject({
      code: 400,
    });
    await expect(
      cs.resource('configmaps').list('ns1', { fieldSelector: 'spec.nodeName=x' }),
    ).rejects.toMatchObject({ code: 400 });
  });
});
