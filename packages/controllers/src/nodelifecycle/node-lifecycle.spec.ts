import { harness, makePod, type TestHarness } from '../testing';
import type { Lease, Node, Pod } from '../types';
import { rfc3339 } from '../util/clock';
import { NodeLifecycleController } from './node-lifecycle-controller';
import { evictionTime, tolerates } from './taints';

function node(name: string, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}` },
    spec: {},
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          lastHeartbeatTime: rfc3339(now),
          lastTransitionTime: rfc3339(now),
        },
      ],
    },
  };
}
function lease(name: string, now: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date(now).toISOString() },
  };
}
const getNode = (h: TestHarness, n: string) => h.client.peek<Node>('nodes', undefined, n)!;

describe('taints', () => {
  it('tolerates by key/operator/effect', () => {
    expect(tolerates({ operator: 'Exists' }, { key: 'a', effect: 'NoExecute' })).toBe(true);
    expect(
      tolerates(
        { key: 'a', operator: 'Equal', value: 'x', effect: 'NoExecute' },
        { key: 'a', value: 'x', effect: 'NoExecute' },
      ),
    ).toBe(true);
    expect(
      tolerates({ key: 'a', operator: 'Equal', value: 'y' }, { key: 'a', value: 'x', effect: 'NoExecute' }),
    ).toBe(false);
    expect(
      tolerates({ key: 'a', operator: 'Exists', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }),
    ).toBe(false);
  });

  it('computes eviction time from tolerationSeconds, defaults and untolerated taints', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const taint = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: rfc3339(t0) }];
    const plain = makePod('p');
    expect(evictionTime(plain, taint, { notReady: 300, unreachable: 60 }, t0)).toBe(t0 + 60_000);
    const own = makePod('q', {
      spec: {
        tolerations: [
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 5,
          },
        ],
      },
    });
    expect(evictionTime(own, taint, { notReady: 300, unreachable: 60 }, t0)).toBe(t0 + 5_000);
    const forever = makePod('r', { spec: { tolerations: [{ operator: 'Exists' }] } });
    expect(evictionTime(forever, taint, { notReady: 300, unreachable: 60 }, t0)).toBe('never');
    const other = [{ key: 'example.com/bad', effect: 'NoExecute' }];
    expect(evictionTime(plain, other, { notReady: 300, unreachable: 60 }, t0 + 7)).toBe(t0 + 7);
  });
});

describe('NodeLifecycleController', () => {
  it('marks a silent node Unknown, taints it unreachable, evicts pods after tolerationSeconds, untaints on recovery', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.seed('nodes', node('n1', t0), node('n2', t0));
    h.seed('leases', lease('n1', t0), lease('n2', t0));
    h.seed(
      'pods',
      makePod('a', { node: 'n1', ready: true }),
      makePod('b', { node: 'n2', ready: true }),
      makePod('c', {
        node: 'n1',
        spec: {
          tolerations: [
            {
              key: 'node.kubernetes.io/unreachable',
              operator: 'Exists',
              effect: 'NoExecute',
              tolerationSeconds: 100,
            },
          ],
        },
      }),
    );
    const c = new NodeLifecycleController(h.ctx, {
      gracePeriodMs: 40_000,
      monitorPeriodMs: 5_000,
      defaultTolerationSeconds: { unreachable: 30 },
    });
    expect(await c.sync()).toEqual({ requeueAfterMs: 5_000 });
    expect(h.writes()).toEqual([]);
    // n2 keeps renewing; n1 goes silent.
    for (let t = 5_000; t <= 45_000; t += 5_000) {
      h.clock.step(5_000);
      h.informers.informer<Lease>('leases').add(lease('n2', h.clock.now()));
      await c.sync();
      h.refresh('nodes', 'pods');
    }
    const n1 = getNode(h, 'n1');
    expect(n1.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(n1.status!.conditions!.map((x) => x.type).sort()).toEqual([
      'DiskPressure',
      'MemoryPressure',
      'PIDPressure',
      'Ready',
    ]);
    expect(n1.spec!.taints!.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);
    expect(getNode(h, 'n2').spec!.taints).toBeUndefined();
    expect(
      h.client.peek<Pod>('pods', 'default', 'a')!.status!.conditions!.find((x) => x.type === 'Ready')!.status,
    ).toBe('False');
    expect(await h.events.lines()).toContain('NodeNotReady Node n1 status is now: NodeNotReady');
    // No eviction before the default 30 s.
    expect(h.writes().filter((w) => w.startsWith('delete'))).toEqual([]);
    h.clock.step(31_000);
    await c.sync();
    h.refresh('nodes', 'pods');
    expect(h.writes().filter((w) => w.startsWith('delete'))).toEqual(['delete pods default/a']);
    // The kubelet comes back: Ready True → taints removed, pod c (100 s toleration) survives.
    const back = getNode(h, 'n1');
    back.status!.conditions = back.status!.conditions!.map((x) =>
      x.type === 'Ready'
        ? { ...x, status: 'True', reason: 'KubeletReady', lastHeartbeatTime: rfc3339(h.clock.now()) }
        : x,
    );
    await h.client.resource<Node>('nodes').updateStatus(back);
    h.informers.informer<Lease>('leases').add(lease('n1', h.clock.now()));
    h.refresh('nodes');
    await c.sync();
    expect(getNode(h, 'n1').spec!.taints).toBeUndefined();
    expect(h.client.peek('pods', 'default', 'c')).toBeDefined();
  });

  it('taints a NotReady node not-ready', async () => {
    const h = harness();
    const n = node('n1', h.clock.now());
    n.status!.conditions![0]!.status = 'False';
    h.seed('nodes', n);
    const c = new NodeLifecycleController(h.ctx);
    await c.sync();
    expect(getNode(h, 'n1').spec!.taints!.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoSchedule',
      'node.kubernetes.io/not-ready:NoExecute',
    ]);
  });
});
