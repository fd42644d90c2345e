import { harness, makePod } from '../testing';
import type { Namespace } from '../types';
import { ServiceAccountsController } from '../serviceaccount/serviceaccounts-controller';
import { NamespaceController } from './namespace-controller';

function ns(name: string, deleting: boolean): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: `uid-${name}`,
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: deleting ? 'Terminating' : 'Active' },
  };
}

describe('NamespaceController', () => {
  it('deletes all content, then removes the kubernetes finalizer through namespaces/finalize', async () => {
    const h = harness();
    const finalized: unknown[] = [];
    h.client.prependReactor('update', 'namespaces', (a) => {
      if (a.subresource === 'finalize') {
        finalized.push(a.object);
        return { result: a.object };
      }
    });
    h.seed('namespaces', ns('team', true));
    h.seed(
      'pods',
      makePod('a', { ns: 'team' }),
      makePod('b', { ns: 'team' }),
      makePod('keep', { ns: 'other' }),
    );
    h.seed('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'team' },
    });
    const c = new NamespaceController(h.ctx);
    const r = await c.sync('team');
    expect(r).toBeUndefined();
    expect(h.client.objects('pods').map((p) => p.metadata.name)).toEqual(['keep']);
    expect(h.client.objects('configmaps')).toEqual([]);
    const dc = h.client.actions.filter((a) => a.verb === 'deletecollection').map((a) => a.resource);
    expect(dc).toContain('pods');
    expect(dc).toContain('deployments');
    expect(dc).toContain('endpointslices');
    expect(finalized).toHaveLength(1);
    expect((finalized[0] as Namespace).spec!.finalizers).toEqual([]);
  });

  it('reports remaining content and finalizers in conditions, and requeues', async () => {
    const h = harness();
    h.seed('namespaces', ns('team', true));
    const stuck = makePod('stuck', { ns: 'team' });
    stuck.metadata.finalizers = ['example.com/hold'];
    h.seed('pods', stuck);
    const c = new NamespaceController(h.ctx, { recheckMs: 5000 });
    const r = await c.sync('team');
    expect(r).toEqual({ requeueAfterMs: 5000 });
    // (the fake drops a deleting object on update when metadata.finalizers is empty, so read the action)
    const conds = (
      h.client.actions.find((a) => a.verb === 'update' && a.subresource === 'status')!.object as Namespace
    ).status!.conditions!;
    expect(conds.find((x) => x.type === 'NamespaceContentRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: pods has 1 resource instances',
    });
    expect(conds.find((x) => x.type === 'NamespaceFinalizersRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message:
        'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    });
    expect(conds.find((x) => x.type === 'NamespaceDeletionContentFailure')).toMatchObject({
      status: 'False',
      reason: 'ContentDeleted',
    });
    expect(h.client.actions.some((a) => a.subresource === 'finalize')).toBe(false);
  });

  it('leaves active namespaces alone', async () => {
    const h = harness();
    h.seed('namespaces', ns('team', false));
    await new NamespaceController(h.ctx).sync('team');
    expect(h.writes()).toEqual([]);
  });
});

describe('ServiceAccountsController', () => {
  it('creates the default ServiceAccount in active namespaces only', async () => {
    const h = harness();
    h.seed('namespaces', ns('a', false), ns('b', true));
    const c = new ServiceAccountsController(h.ctx);
    await c.sync('a');
    await c.sync('b');
    expect(h.writes()).toEqual(['create serviceaccounts a/default']);
    h.refresh('serviceaccounts');
    await c.sync('a');
    expect(h.writes()).toEqual(['create serviceaccounts a/default']);
  });
});
