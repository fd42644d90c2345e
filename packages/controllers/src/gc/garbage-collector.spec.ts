import type { KubeObject } from '@keelson/api';
import { harness, makePod, type TestHarness } from '../testing';
import type { Pod } from '../types';
import { GarbageCollector } from './garbage-collector';
import { PodGCController } from './pod-gc';

const rs = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...extra },
    spec: { selector: {}, template: {} },
  }) as KubeObject;

async function drain(h: TestHarness, gc: GarbageCollector) {
  for (let i = 0; i < 20 && gc.queue.len() > 0; i++) {
    const k = await gc.queue.get();
    await gc.processKey(k!);
    gc.queue.done(k!);
    h.refresh('pods', 'replicasets', 'deployments');
  }
}

const gcFor = (h: TestHarness) =>
  new GarbageCollector(h.ctx, { resources: ['pods', 'replicasets', 'deployments'] });

describe('GarbageCollector', () => {
  it('Background: deleting an owner deletes its dependents', async () => {
    const h = harness();
    const owner = rs('web');
    h.seed('replicasets', owner);
    h.seed('pods', makePod('a', { owner }), makePod('b', { owner }), makePod('free'));
    const gc = gcFor(h);
    await drain(h, gc);
    expect(h.writes()).toEqual([]);
    await h.client.resource('replicasets').delete('default', 'web');
    h.refresh('replicasets');
    await drain(h, gc);
    expect(h.writes().sort()).toEqual([
      'delete pods default/a',
      'delete pods default/b',
      'delete replicasets default/web',
    ]);
    const d = h.client.actions.find((a) => a.verb === 'delete' && a.name === 'a')!;
    expect(d.deleteOptions).toEqual({ propagationPolicy: 'Background', preconditions: { uid: 'uid-a' } });
  });

  it('collects dangling dependents and drops dangling references next to live owners', async () => {
    const h = harness();
    const live = rs('live');
    const gone = rs('gone');
    h.seed('replicasets', live);
    const both = makePod('both', { owner: live });
    both.metadata.ownerReferences!.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'gone',
      uid: 'uid-gone',
    });
    h.seed('pods', makePod('orphaned', { owner: gone }), both);
    const gc = gcFor(h);
    await drain(h, gc);
    expect(h.writes().sort()).toEqual(['delete pods default/orphaned', 'patch pods default/both']);
    expect(
      h.client.peek<Pod>('pods', 'default', 'both')!.metadata.ownerReferences!.map((r) => r.uid),
    ).toEqual(['uid-live']);
  });

  it('Orphan: removes the ownerReference from dependents, then the orphan finalizer', async () => {
    const h = harness();
    const owner = rs('web', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] });
    h.seed('replicasets', owner);
    h.seed('pods', makePod('a', { owner }));
    const gc = gcFor(h);
    await drain(h, gc);
    expect(h.writes()).toEqual(['patch pods default/a', 'patch replicasets default/web']);
    expect(h.client.peek<Pod>('pods', 'default', 'a')!.metadata.ownerReferences).toEqual([]);
    expect(h.client.peek('replicasets', 'default', 'web')).toBeUndefined();
  });

  it('Foreground: deletes blocking dependents first and keeps the finalizer until they are gone', async () => {
    const h = harness();
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'd',
        namespace: 'default',
        uid: 'uid-d',
        deletionTimestamp: '2026-01-01T00:00:00Z',
        finalizers: ['foregroundDeletion'],
      },
      spec: {},
    } as KubeObject;
    h.seed('deployments', dep);
    const child = rs('d-1', {
      finalizers: ['example.com/hold'],
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'd',
          uid: 'uid-d',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    h.seed('replicasets', child);
    h.seed('pods', makePod('p', { owner: child }));
    const gc = gcFor(h);
    await drain(h, gc);
    // The ReplicaSet has dependents itself: deleted in the foreground too.
    expect(h.writes()).toEqual(['delete replicasets default/d-1']);
    expect(h.client.actions.find((a) => a.verb === 'delete')!.deleteOptions!.propagationPolicy).toBe(
      'Foreground',
    );
    expect(h.client.peek('deployments', 'default', 'd')!.metadata.finalizers).toEqual(['foregroundDeletion']);
    // The ReplicaSet goes away: the deployment's finalizer is removed.
    const live = h.client.peek('replicasets', 'default', 'd-1')!;
    expect(live.metadata.deletionTimestamp).toBeDefined();
    await h.client
      .resource('replicasets')
      .update({ ...live, metadata: { ...live.metadata, finalizers: [] } });
    h.refresh('replicasets');
    await drain(h, gc);
    expect(h.writes()).toContain('patch deployments default/d');
    expect(h.client.peek('deployments', 'default', 'd')).toBeUndefined();
  });
});

describe('PodGCController', () => {
  it('deletes the oldest terminated pods over the threshold and pods on vanished nodes', async () => {
    const h = harness();
    const t0 = Date.UTC(2026, 0, 1);
    h.seed('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    h.seed(
      'pods',
      makePod('done-old', { node: 'n1', phase: 'Succeeded', created: t0 }),
      makePod('done-mid', { node: 'n1', phase: 'Failed', created: t0 + 1000 }),
      makePod('done-new', { node: 'n1', phase: 'Succeeded', created: t0 + 2000 }),
      makePod('running', { node: 'n1' }),
      makePod('lost', { node: 'gone-node' }),
    );
    const c = new PodGCController(h.ctx, { terminatedPodThreshold: 1 });
    expect(await c.sync()).toEqual({ requeueAfterMs: 20_000 });
    expect(h.writes()).toEqual([
      'delete pods default/done-old',
      'delete pods default/done-mid',
      'delete pods default/lost',
    ]);
    expect(h.client.actions.find((a) => a.name === 'lost' && a.verb === 'delete')!.deleteOptions).toEqual({
      gracePeriodSeconds: 0,
    });
  });
});
