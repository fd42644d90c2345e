import { harness, makePod } from '../testing';
import type { EndpointSlice, Endpoints, Service } from '../types';
import { EndpointsController, computeSubsets } from './endpoints-controller';
import { EndpointSliceController, desiredGroups, planSlices } from './endpointslice-controller';

function svc(extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { tier: 'fe' } },
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      clusterIP: '10.96.0.5',
      ...extra,
    },
  };
}
const named = {
  containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
};

describe('endpoints', () => {
  it('computes Endpoints subsets from ready and not-ready pods with named ports', () => {
    const pods = [
      makePod('a', { labels: { app: 'web' }, node: 'n1', ready: true, ip: '10.244.1.5', spec: named }),
      makePod('b', { labels: { app: 'web' }, node: 'n2', ready: false, ip: '10.244.2.5', spec: named }),
      makePod('c', { labels: { app: 'web' }, node: 'n2', ready: true, spec: named }), // no IP yet
      makePod('d', { labels: { app: 'other' }, node: 'n2', ready: true, ip: '10.244.2.9', spec: named }),
    ];
    expect(computeSubsets(svc(), pods)).toEqual([
      {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        addresses: [
          {
            ip: '10.244.1.5',
            nodeName: 'n1',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.244.2.5',
            nodeName: 'n2',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' },
          },
        ],
      },
    ]);
    const all = computeSubsets(svc({ publishNotReadyAddresses: true }), pods);
    expect(all[0]!.addresses!.map((a) => a.ip)).toEqual(['10.244.1.5', '10.244.2.5']);
    expect(all[0]!.notReadyAddresses).toBeUndefined();
  });

  it('sets hostname for pods whose subdomain is the service', () => {
    const p = makePod('a', {
      labels: { app: 'web' },
      ready: true,
      ip: '10.0.0.1',
      spec: { ...named, hostname: 'web-0', subdomain: 'web' },
    });
    expect(computeSubsets(svc(), [p])[0]!.addresses![0]!.hostname).toBe('web-0');
    const [g] = desiredGroups(svc(), [p]);
    expect(g!.endpoints[0]!.hostname).toBe('web-0');
  });

  it('EndpointsController creates then updates the Endpoints object', async () => {
    const h = harness();
    h.seed('services', svc());
    h.seed(
      'pods',
      makePod('a', { labels: { app: 'web' }, node: 'n1', ready: true, ip: '10.244.1.5', spec: named }),
    );
    const c = new EndpointsController(h.ctx);
    await c.sync('default/web');
    expect(h.writes()).toEqual(['create endpoints default/web']);
    const ep = h.client.peek<Endpoints>('endpoints', 'default', 'web')!;
    expect(ep.metadata.labels).toEqual({ tier: 'fe' });
    expect(ep.subsets![0]!.addresses![0]!.ip).toBe('10.244.1.5');
    h.refresh('endpoints');
    await c.sync('default/web');
    expect(h.writes()).toEqual(['create endpoints default/web']);
    h.informers
      .informer('pods')
      .add(makePod('a', { labels: { app: 'web' }, node: 'n1', ready: false, ip: '10.244.1.5', spec: named }));
    await c.sync('default/web');
    expect(h.writes()).toEqual(['create endpoints default/web', 'update endpoints default/web']);
    expect(
      h.client.peek<Endpoints>('endpoints', 'default', 'web')!.subsets![0]!.notReadyAddresses,
    ).toHaveLength(1);
  });

  it('EndpointSlice conditions: ready, serving, terminating', () => {
    const pods = [
      makePod('ready', { labels: { app: 'web' }, node: 'n1', ready: true, ip: '10.0.0.1', spec: named }),
      makePod('notready', { labels: { app: 'web' }, node: 'n1', ready: false, ip: '10.0.0.2', spec: named }),
      makePod('terminating', {
        labels: { app: 'web' },
        node: 'n1',
        ready: true,
        ip: '10.0.0.3',
        spec: named,
        deleting: true,
      }),
    ];
    const [g] = desiredGroups(svc(), pods);
    expect(g!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(Object.fromEntries(g!.endpoints.map((e) => [e.targetRef!.name, e.conditions]))).toEqual({
      ready: { ready: true, serving: true, terminating: false },
      notready: { ready: false, serving: false, terminating: false },
      terminating: { ready: false, serving: true, terminating: true },
    });
    expect(g!.endpoints[0]).toMatchObject({
      addresses: ['10.0.0.2'],
      nodeName: 'n1',
      targetRef: { kind: 'Pod', name: 'notready', uid: 'uid-notready' },
    });
  });

  it('caps slices at 100 endpoints and keeps a placeholder when there are none', () => {
    const s = svc();
    const pods = Array.from({ length: 250 }, (_, i) =>
      makePod(`p${String(i).padStart(3, '0')}`, {
        labels: { app: 'web' },
        ready: true,
        ip: `10.0.${i >> 8}.${i & 255}`,
        spec: named,
      }),
    );
    const plan = planSlices(s, desiredGroups(s, pods), []);
    expect(plan.create.map((x) => x.endpoints.length)).toEqual([100, 100, 50]);
    expect(plan.create[0]!.metadata).toMatchObject({
      generateName: 'web-',
      labels: {
        tier: 'fe',
        'kubernetes.io/service-name': 'web',
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: 'web',
          uid: 'svc-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    const empty = planSlices(s, [], []);
    expect(empty.create).toHaveLength(1);
    expect(empty.create[0]!.endpoints).toEqual([]);
  });

  it('EndpointSliceController creates, updates in place and deletes slices', async () => {
    const h = harness();
    h.seed('services', svc());
    h.seed(
      'pods',
      makePod('a', { labels: { app: 'web' }, node: 'n1', ready: true, ip: '10.0.0.1', spec: named }),
    );
    const c = new EndpointSliceController(h.ctx);
    await c.sync('default/web');
    expect(h.writes()).toEqual(['create endpointslices default/']);
    h.refresh('endpointslices');
    const [slice] = h.client.objects<EndpointSlice>('endpointslices');
    h.informers
      .informer('pods')
      .add(makePod('b', { labels: { app: 'web' }, node: 'n1', ready: true, ip: '10.0.0.2', spec: named }));
    await c.sync('default/web');
    expect(h.writes().slice(1)).toEqual([`update endpointslices default/${slice!.metadata.name}`]);
    expect(
      h.client.peek<EndpointSlice>('endpointslices', 'default', slice!.metadata.name!)!.endpoints,
    ).toHaveLength(2);
    // Service gone: slices deleted.
    h.refresh('endpointslices');
    h.informers.informer('services').remove(svc());
    await c.sync('default/web');
    expect(h.writes().slice(2)).toEqual([`delete endpointslices default/${slice!.metadata.name}`]);
  });
});
