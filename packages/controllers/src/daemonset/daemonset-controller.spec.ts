import { harness, makePod, type TestHarness } from '../testing';
import type { DaemonSet, Node, Pod, Taint } from '../types';
import { DaemonSetController, daemonPodNode, nodeShouldRunDaemonPod } from './daemonset-controller';

function makeDS(extra: Partial<DaemonSet['spec']> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'c', image: 'v1' }] },
      },
      ...extra,
    },
  };
}
const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: { taints },
});
const pods = (h: TestHarness) => h.client.objects<Pod>('pods');
async function step(h: TestHarness, c: DaemonSetController) {
  h.refresh('daemonsets', 'pods', 'controllerrevisions', 'nodes');
  await c.sync('kube-system/agent');
  h.refresh('daemonsets', 'pods', 'controllerrevisions', 'nodes');
}
async function kubelet(h: TestHarness) {
  for (const p of pods(h)) {
    if (p.status?.phase !== 'Running') {
      await h.client.resource<Pod>('pods').updateStatus({
        ...p,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
        },
      });
    }
  }
}

describe('DaemonSetController', () => {
  it('decides eligibility from nodeSelector, affinity and taints', () => {
    const ds = makeDS();
    expect(nodeShouldRunDaemonPod(ds, node('a'))).toEqual([true, true]);
    // Standard daemon tolerations cover not-ready/unreachable/unschedulable.
    expect(
      nodeShouldRunDaemonPod(
        ds,
        node('b', {}, [
          { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
        ]),
      ),
    ).toEqual([true, true]);
    expect(
      nodeShouldRunDaemonPod(ds, node('c', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }])),
    ).toEqual([false, true]);
    expect(
      nodeShouldRunDaemonPod(ds, node('d', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }])),
    ).toEqual([false, false]);
    const sel = makeDS();
    sel.spec.template.spec!.nodeSelector = { disk: 'ssd' };
    expect(nodeShouldRunDaemonPod(sel, node('e', { disk: 'ssd' }))[0]).toBe(true);
    expect(nodeShouldRunDaemonPod(sel, node('f'))[0]).toBe(false);
    const aff = makeDS();
    aff.spec.template.spec!.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }],
        },
      },
    };
    expect(nodeShouldRunDaemonPod(aff, node('g', { zone: 'z1' }))[0]).toBe(true);
    expect(nodeShouldRunDaemonPod(aff, node('h', { zone: 'z2' }))[0]).toBe(false);
  });

  it('creates one pod per eligible node, pinned by node-name affinity with daemon tolerations', async () => {
    const h = harness();
    h.seed('nodes', node('n1'), node('n2'), node('n3', {}, [{ key: 'dedicated', effect: 'NoSchedule' }]));
    h.seed('daemonsets', makeDS());
    const c = new DaemonSetController(h.ctx);
    await step(h, c);
    expect(pods(h).map(daemonPodNode).sort()).toEqual(['n1', 'n2']);
    const p = pods(h)[0]!;
    expect(p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [daemonPodNode(p)] }] },
      ],
    });
    expect(p.spec!.tolerations!.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
    expect(p.metadata.labels!['controller-revision-hash']).toBeDefined();
    // No duplicates on a second sync.
    await step(h, c);
    expect(pods(h)).toHaveLength(2);
    await kubelet(h);
    await step(h, c);
    expect(h.client.peek<DaemonSet>('daemonsets', 'kube-system', 'agent')!.status).toMatchObject({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberReady: 2,
      numberAvailable: 2,
      updatedNumberScheduled: 2,
      numberMisscheduled: 0,
    });
  });

  it('deletes pods on nodes that must not run them and extra pods', async () => {
    const h = harness();
    const ds = makeDS();
    h.seed('nodes', node('n1'), node('bad', {}, [{ key: 'evict', effect: 'NoExecute' }]));
    h.seed('daemonsets', ds);
    h.seed(
      'pods',
      makePod('on-bad', { ns: 'kube-system', labels: { app: 'agent' }, owner: ds, node: 'bad' }),
      makePod('a1', {
        ns: 'kube-system',
        labels: { app: 'agent' },
        owner: ds,
        node: 'n1',
        created: Date.UTC(2026, 0, 1),
      }),
      makePod('a2', {
        ns: 'kube-system',
        labels: { app: 'agent' },
        owner: ds,
        node: 'n1',
        created: Date.UTC(2026, 0, 2),
      }),
    );
    const c = new DaemonSetController(h.ctx);
    await step(h, c);
    expect(
      h
        .writes()
        .filter((w) => w.startsWith('delete pods'))
        .sort(),
    ).toEqual(['delete pods kube-system/a2', 'delete pods kube-system/on-bad']);
  });

  it('rolling update replaces old pods at most maxUnavailable at a time', async () => {
    const h = harness();
    h.seed('nodes', node('n1'), node('n2'), node('n3'));
    h.seed(
      'daemonsets',
      makeDS({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }),
    );
    const c = new DaemonSetController(h.ctx);
    await step(h, c);
    await kubelet(h);
    await step(h, c);
    const ds = h.client.peek<DaemonSet>('daemonsets', 'kube-system', 'agent')!;
    ds.spec.template.spec!.containers[0]!.image = 'v2';
    await h.client.resource<DaemonSet>('daemonsets').update(ds);
    let maxDeletesPerStep = 0;
    for (let i = 0; i < 12; i++) {
      const before = h.writes().filter((w) => w.startsWith('delete pods')).length;
      await step(h, c);
      maxDeletesPerStep = Math.max(
        maxDeletesPerStep,
        h.writes().filter((w) => w.startsWith('delete pods')).length - before,
      );
      await kubelet(h);
    }
    expect(maxDeletesPerStep).toBe(1);
    expect(pods(h)).toHaveLength(3);
    expect(pods(h).every((p) => p.spec!.containers[0]!.image === 'v2')).toBe(true);
  });
});
