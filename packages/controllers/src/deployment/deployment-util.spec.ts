import fc from 'fast-check';
import type { Deployment, ReplicaSet } from '../types';
import {
  computeHash,
  equalIgnoreHash,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  planOldScaleDown,
  proportionalScale,
  resolveFenceposts,
  safeEncodeString,
  setNewReplicaSetAnnotations,
} from './deployment-util';

function dep(replicas: number, surge: number | string, unavail: number | string): Deployment {
  return {
    metadata: { name: 'd', namespace: 'default', uid: 'u', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavail } },
    },
  };
}
function rs(name: string, spec: number, avail: number, created = 0): ReplicaSet {
  return {
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + created * 1000).toISOString(),
    },
    spec: { replicas: spec, selector: {}, template: {} },
    status: { replicas: spec, availableReplicas: avail, readyReplicas: avail },
  };
}

describe('deployment util', () => {
  it('resolves fenceposts: surge rounds up, unavailable rounds down, never both 0', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual([3, 2]);
    expect(resolveFenceposts('0%', '10%', 5)).toEqual([0, 1]);
    expect(resolveFenceposts(0, 0, 5)).toEqual([0, 1]);
    expect(resolveFenceposts(2, '50%', 3)).toEqual([2, 1]);
    expect(maxUnavailable(dep(3, 1, 5))).toBe(3);
    expect(
      maxSurge({ ...dep(3, 1, 1), spec: { ...dep(3, 1, 1).spec, strategy: { type: 'Recreate' } } }),
    ).toBe(0);
  });

  it('hashes templates stably and encodes like SafeEncodeString', () => {
    const t = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const t2 = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { app: 'x' } } };
    expect(computeHash(t)).toBe(computeHash(t2));
    expect(computeHash(t)).not.toBe(computeHash(t, 1));
    expect(computeHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(safeEncodeString('0123')).toBe('4567');
    expect(
      equalIgnoreHash(
        { metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } }, spec: { containers: [] } },
        { metadata: { labels: { app: 'x' } }, spec: { containers: [] } },
      ),
    ).toBe(true);
    // kubectl rollout undo sends creationTimestamp: null; typed comparison treats it as unset.
    const withNull = {
      metadata: { creationTimestamp: null, labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'i', resources: {} }] },
    };
    expect(
      equalIgnoreHash(withNull as never, {
        metadata: { labels: { app: 'x', 'pod-template-hash': 'h' } },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      }),
    ).toBe(true);
    expect(computeHash(withNull)).toBe(
      computeHash({ metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }),
    );
  });

  it('grows the new set by what maxSurge leaves', () => {
    const d = dep(10, 3, 2);
    const newRS = rs('new', 0, 0);
    expect(newRSNewReplicas(d, [rs('old', 10, 10), newRS], newRS)).toBe(3);
    const grown = rs('new', 3, 0);
    expect(newRSNewReplicas(d, [rs('old', 10, 10), grown], grown)).toBe(3);
    expect(newRSNewReplicas(d, [rs('old', 5, 5), rs('new', 7, 7)], rs('new', 7, 7))).toBe(8);
  });

  it('scales old sets down only as far as minAvailable allows, unhealthy pods first', () => {
    const d = dep(10, 3, 2);
    // new set has 3 pods, none available: nothing may go (13 - 8 - 3 = 2 > 0, but old has no unhealthy and available 10 → 10-8 = 2).
    expect(planOldScaleDown(d, [rs('old', 10, 10)], rs('new', 3, 0))).toEqual([
      { name: 'old', from: 10, to: 8 },
    ]);
    // old set has 4 unavailable pods: those go first (10 → 6), then one healthy pod (9 available > 8).
    expect(planOldScaleDown(d, [rs('old', 10, 6)], rs('new', 3, 3))).toEqual([
      { name: 'old', from: 10, to: 5 },
    ]);
    // already at the floor.
    expect(planOldScaleDown(d, [rs('old', 8, 8)], rs('new', 5, 0))).toEqual([]);
  });

  it('a simulated rolling update never exceeds replicas+surge nor drops below replicas-unavailable', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('0%', '10%', '25%', '50%', '100%')),
        fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('0%', '10%', '25%', '50%', '100%')),
        (replicas, s, u) => {
          const d = dep(replicas, s, u);
          const [surge] = resolveFenceposts(s, u, replicas);
          const unavail = maxUnavailable(d);
          let old = rs('old', replicas, replicas, 0);
          let neu = rs('new', 0, 0, 1);
          for (let step = 0; step < 200; step++) {
            if ((neu.spec.replicas ?? 0) === replicas && (old.spec.replicas ?? 0) === 0) return true;
            // new set
            if ((neu.spec.replicas ?? 0) < replicas) {
              const n = newRSNewReplicas(d, [old, neu], neu);
              neu = rs('new', n, neu.status!.availableReplicas!, 1);
            }
            // old set
            const steps = planOldScaleDown(d, [old], neu);
            for (const st of steps)
              old = rs('old', st.to, Math.min(st.to, old.status!.availableReplicas!), 0);
            const total = (old.spec.replicas ?? 0) + (neu.spec.replicas ?? 0);
            if (total > replicas + Math.max(surge, 0) && total > replicas)
              throw new Error(`surge exceeded: ${total}`);
            const avail = old.status!.availableReplicas! + neu.status!.availableReplicas!;
            if (avail < replicas - unavail) throw new Error(`availability dropped: ${avail}`);
            // kubelets: new pods become available
            neu = rs('new', neu.spec.replicas!, neu.spec.replicas!, 1);
          }
          throw new Error('rollout did not finish');
        },
      ),
    );
  });

  it('scales proportionally mid-rollout (upstream example: 10 → 15 with 8+5 sets)', () => {
    const d = dep(15, 3, 2);
    d.status = { replicas: 13 };
    const a = rs('old', 8, 8, 0);
    const b = rs('new', 5, 5, 1);
    for (const x of [a, b]) x.metadata.annotations = { 'deployment.kubernetes.io/max-replicas': '13' };
    const sizes = proportionalScale(d, [a, b]);
    expect((sizes.get('old') ?? 0) + (sizes.get('new') ?? 0)).toBe(18);
    expect(sizes.get('old')).toBe(11);
    expect(sizes.get('new')).toBe(7);
  });

  it('moves the revision forward and keeps the old one in revision-history on rollback', () => {
    const d = dep(1, 1, 0);
    d.metadata.annotations = { note: 'x', 'deployment.kubernetes.io/revision': '2' };
    const r = rs('old', 0, 0);
    r.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(true);
    expect(r.metadata.annotations).toEqual({
      note: 'x',
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(false);
  });
});
