import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@keelson/api';
import type { VolumeAccess } from '../framework/interface';
import { CycleState } from '../framework/interface';
import type { FitError } from '../framework/schedule-one';
import { Scheduler } from '../scheduler';
import { makeNode, makePod } from '../testing/wrappers';

const hostAffinity = (node: string) => ({
  required: {
    nodeSelectorTerms: [
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
    ],
  },
});

function setup(claims: PersistentVolumeClaim[], pvs: PersistentVolume[]) {
  const classes: StorageClass[] = [
    {
      metadata: { name: 'local-path' },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
    { metadata: { name: 'now' }, provisioner: 'x.io/now', volumeBindingMode: 'Immediate' },
  ];
  const selected: string[] = [];
  const access: VolumeAccess = {
    claim: (ns, n) => claims.find((c) => c.metadata.namespace === ns && c.metadata.name === n),
    volume: (n) => pvs.find((p) => p.metadata.name === n),
    storageClass: (n) => classes.find((c) => c.metadata.name === n),
    async selectNode(c, node) {
      selected.push(`${c.metadata.name}@${node}`);
    },
  };
  const s = new Scheduler({ random: () => 0, volumes: access });
  for (const n of ['n1', 'n2', 'n3']) s.addNode(makeNode(n).label('kubernetes.io/hostname', n).obj());
  return { s, selected };
}
const claim = (name: string, spec: PersistentVolumeClaim['spec']): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default' },
  spec,
});
const withClaim = (claimName: string): Pod => {
  const p = makePod('p').obj();
  p.spec!.volumes = [{ name: 'data', persistentVolumeClaim: { claimName } }];
  return p;
};

describe('VolumeBinding', () => {
  it('a bound volume with node affinity admits only its node', () => {
    const { s } = setup(
      [claim('data', { storageClassName: 'local-path', volumeName: 'pv1' })],
      [{ metadata: { name: 'pv1' }, spec: { nodeAffinity: hostAffinity('n2') } }],
    );
    for (let i = 0; i < 3; i++) expect(s.schedule(withClaim('data')).nodeName).toBe('n2');
  });

  it('rejects every node with the upstream reason when the affinity matches none', () => {
    const { s } = setup(
      [claim('data', { volumeName: 'pv1' })],
      [{ metadata: { name: 'pv1' }, spec: { nodeAffinity: hostAffinity('gone') } }],
    );
    const r = s.schedule(withClaim('data'));
    expect((r.error as FitError).message).toContain('3 node(s) had volume node affinity conflict');
  });

  it('missing claims and unbound Immediate claims are unschedulable; WaitForFirstConsumer fits anywhere', () => {
    const { s } = setup(
      [claim('wait', { storageClassName: 'local-path' }), claim('now', { storageClassName: 'now' })],
      [],
    );
    expect((s.schedule(withClaim('nope')).error as FitError).message).toContain(
      'persistentvolumeclaim "nope" not found',
    );
    expect((s.schedule(withClaim('now')).error as FitError).message).toContain(
      'pod has unbound immediate PersistentVolumeClaims',
    );
    expect(s.schedule(withClaim('wait')).nodeName).toBeDefined();
  });

  it('PreBind selects the node for each unbound WaitForFirstConsumer claim', async () => {
    const { s, selected } = setup([claim('wait', { storageClassName: 'local-path' })], []);
    const pod = withClaim('wait');
    const r = s.schedule(pod);
    if (r.error) throw r.error;
    const fw = s.frameworkFor(pod)!;
    const st = await fw.runPreBind(r.state ?? new CycleState(), pod, r.nodeName);
    expect(st.isSuccess()).toBe(true);
    expect(selected).toEqual([`wait@${r.nodeName}`]);
  });
});
