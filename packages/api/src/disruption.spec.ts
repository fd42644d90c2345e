import {
  computePdbStatus,
  expectedPdbScale,
  pdbCoversPod,
  PDB_DELETION_TIMEOUT_MS,
  type ScaleOwner,
} from './disruption';
import type { Pod } from './core-v1';
import type { PodDisruptionBudget } from './policy-v1';
import { defaultObject } from './defaults';
import { validateObject } from './validation/validate';

const NOW = Date.parse('2026-01-01T00:10:00Z');

function pod(name: string, ready: boolean, labels = { app: 'web' }, extra: object = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels, ...extra },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as Pod;
}
function pdb(spec: object, status?: object): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default', generation: 2 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  } as PodDisruptionBudget;
}

describe('PodDisruptionBudget status (disruption controller arithmetic)', () => {
  const pods = [pod('a', true), pod('b', true), pod('c', false), pod('x', true, { app: 'other' })];

  it('covers pods by selector: absent covers none, {} covers the namespace', () => {
    expect(pdbCoversPod(pdb({}), pods[0])).toBe(true);
    expect(pdbCoversPod(pdb({}), pods[3])).toBe(false);
    expect(pdbCoversPod(pdb({ selector: undefined }), pods[0])).toBe(false);
    expect(pdbCoversPod(pdb({ selector: {} }), pods[3])).toBe(true);
    expect(
      pdbCoversPod(pdb({ selector: {} }), { ...pods[3], metadata: { name: 'y', namespace: 'kube-system' } }),
    ).toBe(false);
  });

  it('computes minAvailable and maxUnavailable budgets (percentages round up)', () => {
    expect(computePdbStatus(pdb({ minAvailable: 1 }), pods, NOW)).toMatchObject({
      observedGeneration: 2,
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
    });
    expect(computePdbStatus(pdb({ minAvailable: '50%' }), pods, NOW)).toMatchObject({
      desiredHealthy: 2,
      disruptionsAllowed: 0,
      conditions: [{ status: 'False', reason: 'InsufficientPods' }],
    });
    expect(computePdbStatus(pdb({ maxUnavailable: 1 }), pods, NOW)).toMatchObject({
      desiredHealthy: 2,
      disruptionsAllowed: 0,
    });
    expect(computePdbStatus(pdb({ maxUnavailable: '100%' }), pods, NOW)).toMatchObject({
      desiredHealthy: 0,
      disruptionsAllowed: 2,
    });
  });

  it('counts recently evicted pods as disrupted until they go or time out', () => {
    const recent = new Date(NOW - 1000).toISOString();
    const old = new Date(NOW - PDB_DELETION_TIMEOUT_MS - 1000).toISOString();
    const s = computePdbStatus(
      pdb({ minAvailable: 1 }, { disruptedPods: { a: recent, b: old, gone: recent } }),
      pods,
      NOW,
    );
    expect(s.disruptedPods).toEqual({ a: recent });
    expect(s.currentHealthy).toBe(1);
    expect(s.disruptionsAllowed).toBe(0);
    const deleting = [pod('a', true, undefined, { deletionTimestamp: recent }), pods[1]];
    expect(computePdbStatus(pdb({ minAvailable: 1 }), deleting, NOW).currentHealthy).toBe(1);
  });
});

describe("expected scale from the pods' controllers (getExpectedScale)", () => {
  const owned = (name: string, kind: string, owner: string) =>
    ({
      metadata: {
        name,
        namespace: 'default',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind, name: owner, uid: `uid-${owner}`, controller: true },
        ],
      },
    }) as Pod;
  const owners: Record<string, ScaleOwner> = {
    'ReplicaSet/web-1': {
      uid: 'uid-web-1',
      replicas: 2,
      controller: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: 'uid-web',
        controller: true,
      },
    },
    'ReplicaSet/web-2': {
      uid: 'uid-web-2',
      replicas: 1,
      controller: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: 'uid-web',
        controller: true,
      },
    },
    'Deployment/web': { uid: 'uid-web', replicas: 4 },
    'StatefulSet/db': { uid: 'uid-db', replicas: 3 },
  };
  const lookup = (kind: string, _v: string, _ns: string, name: string) => owners[`${kind}/${name}`];

  it('sums distinct controllers, a ReplicaSet counting as its Deployment', async () => {
    const pods = [
      owned('a', 'ReplicaSet', 'web-1'),
      owned('b', 'ReplicaSet', 'web-2'),
      owned('c', 'StatefulSet', 'db'),
    ];
    expect(await expectedPdbScale(pods, lookup)).toBe(7);
    expect(await expectedPdbScale([pod('bare', true)], lookup)).toBeUndefined();
    expect(await expectedPdbScale([owned('x', 'ReplicaSet', 'gone')], lookup)).toBeUndefined();
  });

  it('uses the scale for maxUnavailable budgets and the pod count for integer minAvailable', () => {
    const two = [pod('a', true), pod('b', true)];
    expect(computePdbStatus(pdb({ maxUnavailable: 1 }), two, NOW, 4)).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 3,
      disruptionsAllowed: 0,
    });
    expect(computePdbStatus(pdb({ minAvailable: 1 }), two, NOW, 4)).toMatchObject({
      expectedPods: 2,
      disruptionsAllowed: 1,
    });
  });
});

describe('PodDisruptionBudget validation', () => {
  const v = (spec: object) => {
    const o = pdb(spec);
    defaultObject(o);
    return validateObject(o).map((c) => `${c.field}: ${c.message}`);
  };
  it('accepts one of minAvailable/maxUnavailable', () => {
    expect(v({ minAvailable: 2 })).toEqual([]);
    expect(v({ maxUnavailable: '25%', unhealthyPodEvictionPolicy: 'AlwaysAllow' })).toEqual([]);
  });
  it('rejects both, bad values and unknown policies with upstream messages', () => {
    const errs = v({ minAvailable: 1, maxUnavailable: '150%', unhealthyPodEvictionPolicy: 'Sometimes' });
    expect(errs[0]).toMatch(/^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
    expect(errs.slice(1)).toEqual([
      'spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
      'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ]);
    expect(v({ minAvailable: -1 })).toEqual([
      'spec.minAvailable: Invalid value: -1: must be greater than or equal to 0',
    ]);
    expect(v({ minAvailable: 'half' })[0]).toMatch(
      /^spec.minAvailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%'/,
    );
  });
});
