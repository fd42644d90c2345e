import { harness, makePod } from '../testing';
import type { Pod, ReplicaSet } from '../types';
import { ReplicaSetController, podsToDelete, slowStartBatch } from './replicaset-controller';

function makeRS(name: string, replicas: number, extra: Partial<ReplicaSet['spec']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1, resourceVersion: '1' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
      ...extra,
    },
  };
}

describe('ReplicaSetController', () => {
  it('creates the missing pods from the template with a controller ownerReference', async () => {
    const h = harness();
    const rs = makeRS('web', 3);
    h.seed('replicasets', rs);
    h.seed('pods', makePod('web-a', { labels: { app: 'web' }, owner: rs }));
    const c = new ReplicaSetController(h.ctx);
    await c.sync('default/web');
    const creates = h.client.actions.filter((a) => a.verb === 'create' && a.resource === 'pods');
    expect(creates).toHaveLength(2);
    for (const a of creates) {
      const p = a.object as Pod;
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({ app: 'web' });
      expect(p.metadata.annotations).toEqual({ a: 'b' });
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: 'uid-web',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(p.spec!.containers[0]!.image).toBe('busybox');
    }
    expect(h.writes()).toEqual([
      'create pods default/',
      'create pods default/',
      'update replicasets/status default/web',
    ]);
    expect((await h.events.lines()).filter((l) => l.startsWith('SuccessfulCreate '))).toHaveLength(2);
    // Expectations now hold the next sync back until the informer sees both pods.
    h.client.clearActions();
    await c.sync('default/web');
    expect(h.writes().filter((w) => w.startsWith('create'))).toEqual([]);
    for (const p of h.client.objects<Pod>('pods').filter((p) => p.metadata.name !== 'web-a'))
      h.informers.informer<Pod>('pods').add(p);
    expect(c.expectations.satisfied('default/web')).toBe(true);
  });

  it('expectations expire after 5 minutes', async () => {
    const h = harness();
    const rs = makeRS('web', 2);
    h.seed('replicasets', rs);
    const c = new ReplicaSetController(h.ctx);
    await c.sync('default/web');
    expect(c.expectations.satisfied('default/web')).toBe(false);
    h.clock.step(5 * 60 * 1000 + 1);
    expect(c.expectations.satisfied('default/web')).toBe(true);
  });

  it('creates in slow-start batches 1, 2, 4 and stops at the first failing batch', async () => {
    const sizes: number[] = [];
    let inBatch = 0;
    const r = await slowStartBatch(10, 1, async (i) => {
      inBatch++;
      await Promise.resolve();
      sizes.push(inBatch);
      inBatch = 0;
      if (i === 5) throw new Error('quota');
    });
    // batches: [0], [1,2], [3..6] -> fails in the third batch; the fourth never runs.
    expect(r.successes).toBe(6);
    expect((r.error as Error).message).toBe('quota');
  });

  it('scales down by deleting the least valuable pods first', async () => {
    const h = harness();
    const rs = makeRS('web', 2);
    h.seed('replicasets', rs);
    const base = Date.UTC(2026, 0, 1);
    h.seed(
      'pods',
      makePod('running-ready-old', {
        labels: { app: 'web' },
        owner: rs,
        node: 'n1',
        ready: true,
        created: base,
      }),
      makePod('unscheduled', { labels: { app: 'web' }, owner: rs, created: base }),
      makePod('running-notready', {
        labels: { app: 'web' },
        owner: rs,
        node: 'n2',
        ready: false,
        created: base,
      }),
      makePod('running-ready-new', {
        labels: { app: 'web' },
        owner: rs,
        node: 'n3',
        ready: true,
        created: base + 5000,
      }),
    );
    const c = new ReplicaSetController(h.ctx);
    await c.sync('default/web');
    expect(
      h
        .writes()
        .filter((w) => w.startsWith('delete'))
        .sort(),
    ).toEqual(['delete pods default/running-notready', 'delete pods default/unscheduled']);
    expect(await h.events.lines()).toContain('SuccessfulDelete Deleted pod: unscheduled');
  });

  it('orders deletions: pending < unknown < running, more restarts and newer first', () => {
    const base = Date.UTC(2026, 0, 1);
    const a = makePod('running', { node: 'n', phase: 'Running', ready: true });
    const b = makePod('unknown', { node: 'n', phase: 'Unknown' });
    const c = makePod('pending', { node: 'n', phase: 'Pending' });
    const d = makePod('restarts', { node: 'n', phase: 'Running', ready: true, restarts: 4 });
    const e = makePod('newer', {
      node: 'n',
      phase: 'Running',
      ready: true,
      created: base + 1000,
      readySince: base,
    });
    const pods = [a, b, c, d, e];
    const order = podsToDelete(pods, [], 4, base + 10_000).map((p) => p.metadata.name);
    expect(order).toEqual(['pending', 'unknown', 'restarts', 'newer']);
  });

  it('adopts matching orphans and releases owned pods whose labels no longer match', async () => {
    const h = harness();
    const rs = makeRS('web', 2);
    h.seed('replicasets', rs);
    h.seed(
      'pods',
      makePod('orphan', { labels: { app: 'web' } }),
      makePod('strayed', { labels: { app: 'other' }, owner: rs }),
      makePod('mine', { labels: { app: 'web' }, owner: rs }),
    );
    const c = new ReplicaSetController(h.ctx);
    await c.sync('default/web');
    const patches = h.client.actions.filter((a) => a.verb === 'patch');
    expect(patches.map((a) => a.name).sort()).toEqual(['orphan', 'strayed']);
    expect(h.client.peek<Pod>('pods', 'default', 'orphan')!.metadata.ownerReferences?.[0]).toMatchObject({
      uid: 'uid-web',
      controller: true,
    });
    expect(h.client.peek<Pod>('pods', 'default', 'strayed')!.metadata.ownerReferences ?? []).toEqual([]);
    // two pods claimed (mine + orphan): nothing to create.
    expect(h.writes().filter((w) => w.startsWith('create'))).toEqual([]);
  });

  it('reports status with minReadySeconds and requeues until pods are available', async () => {
    const h = harness();
    const rs = makeRS('web', 2, { minReadySeconds: 10 });
    h.seed('replicasets', rs);
    const now = h.clock.now();
    h.seed(
      'pods',
      makePod('p1', { labels: { app: 'web' }, owner: rs, node: 'n', ready: true, readySince: now - 20_000 }),
      makePod('p2', { labels: { app: 'web' }, owner: rs, node: 'n', ready: true, readySince: now - 2_000 }),
    );
    const c = new ReplicaSetController(h.ctx);
    const r = await c.sync('default/web');
    expect(r).toEqual({ requeueAfterMs: 10_000 });
    expect(h.client.peek<ReplicaSet>('replicasets', 'default', 'web')!.status).toEqual({
      replicas: 2,
      fullyLabeledReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 1,
    });
  });

  it('ignores pods owned by another controller and terminal pods', async () => {
    const h = harness();
    const rs = makeRS('web', 1);
    const other = makeRS('other', 1);
    h.seed('replicasets', rs);
    h.seed(
      'pods',
      makePod('foreign', { labels: { app: 'web' }, owner: other }),
      makePod('done', { labels: { app: 'web' }, owner: rs, phase: 'Succeeded', node: 'n' }),
    );
    const c = new ReplicaSetController(h.ctx);
    await c.sync('default/web');
    expect(h.writes()).toEqual(['create pods default/', 'update replicasets/status default/web']);
  });

  it('records ReplicaFailure when creates fail', async () => {
    const h = harness();
    h.client.prependReactor('create', 'pods', () => ({
      error: Object.assign(new Error('exceeded quota'), { code: 403, reason: 'Forbidden' }),
    }));
    const rs = makeRS('web', 3);
    h.seed('replicasets', rs);
    const c = new ReplicaSetController(h.ctx);
    await expect(c.sync('default/web')).rejects.toThrow('exceeded quota');
    // slow start: only the first batch of 1 was tried.
    expect(h.client.actions.filter((a) => a.verb === 'create' && a.resource === 'pods')).toHaveLength(1);
    expect(await h.events.lines()).toContain('FailedCreate Error creating: exceeded quota');
    const st = h.client.peek<ReplicaSet>('replicasets', 'default', 'web')!.status!;
    expect(st.conditions?.[0]).toMatchObject({
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
    });
    expect(c.expectations.satisfied('default/web')).toBe(true);
  });
});
