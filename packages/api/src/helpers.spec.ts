import {
  controllerOf,
  getCondition,
  isPodAvailable,
  isPodReady,
  nowTime,
  objectKey,
  ownerRefFor,
  podQOSClass,
  podRequests,
  removeCondition,
  setCondition,
  splitObjectKey,
} from './helpers';
import type { Pod, PodCondition } from './core-v1';
import type { Deployment } from './apps-v1';

const c = (name: string, requests?: Record<string, string>, extra: object = {}) => ({
  name,
  image: 'x',
  resources: requests ? { requests } : undefined,
  ...extra,
});

describe('podRequests (resourcehelper.PodRequests)', () => {
  it('sums containers and takes the max with init containers', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [c('a', { cpu: '100m', memory: '64Mi' }), c('b', { cpu: '250m', memory: '1Gi' })],
        initContainers: [c('i', { cpu: '1', memory: '100Mi' })],
      },
    };
    expect(podRequests(pod)).toEqual({ cpu: 1000, memory: 1024 * 1024 * 1024 + 64 * 1024 * 1024 });
  });

  it('adds sidecars to the sum and to later init containers, plus overhead', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [c('a', { cpu: '100m' })],
        initContainers: [c('side', { cpu: '200m' }, { restartPolicy: 'Always' }), c('init', { cpu: '250m' })],
        overhead: { cpu: '10m', memory: '1Mi' },
      },
    };
    // containers 100 + sidecar 200 = 300; init 250 + sidecar 200 = 450 → max 450, + overhead 10.
    expect(podRequests(pod)).toEqual({ cpu: 460, memory: 1048576 });
  });

  it('uses limits when requests are absent and counts extended resources', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '2', 'example.com/gpu': '1' } } }],
      },
    };
    expect(podRequests(pod)).toEqual({ cpu: 2000, memory: 0, 'example.com/gpu': 1 });
    expect(podRequests({ metadata: { name: 'e' } })).toEqual({ cpu: 0, memory: 0 });
  });

  it('classifies QoS', () => {
    const g: Pod = {
      metadata: {},
      spec: {
        containers: [
          {
            name: 'a',
            resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
          },
        ],
      },
    };
    expect(podQOSClass(g)).toBe('Guaranteed');
    expect(podQOSClass({ metadata: {}, spec: { containers: [{ name: 'a' }] } })).toBe('BestEffort');
    expect(podQOSClass({ metadata: {}, spec: { containers: [c('a', { cpu: '1' })] } })).toBe('Burstable');
  });
});

describe('conditions and readiness', () => {
  it('setCondition keeps lastTransitionTime when status is unchanged', () => {
    let conds: PodCondition[] = [];
    conds = setCondition(conds, { type: 'Ready', status: 'False' }, '2024-01-01T00:00:00Z');
    conds = setCondition(conds, { type: 'Ready', status: 'False', reason: 'X' }, '2024-01-01T00:01:00Z');
    expect(conds).toEqual([
      { type: 'Ready', status: 'False', reason: 'X', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ]);
    conds = setCondition(conds, { type: 'Ready', status: 'True' }, '2024-01-01T00:02:00Z');
    expect(getCondition(conds, 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      lastTransitionTime: '2024-01-01T00:02:00Z',
    });
    const pod: Pod = { metadata: {}, status: { conditions: conds } };
    expect(isPodReady(pod)).toBe(true);
    expect(isPodAvailable(pod, 60, Date.parse('2024-01-01T00:02:30Z'))).toBe(false);
    expect(isPodAvailable(pod, 60, Date.parse('2024-01-01T00:03:00Z'))).toBe(true);
    expect(isPodReady({ metadata: {}, status: { conditions: removeCondition(conds, 'Ready') } })).toBe(false);
  });
});

describe('object helpers', () => {
  it('objectKey, ownerRefFor, nowTime', () => {
    expect(objectKey({ metadata: { name: 'a', namespace: 'ns' } })).toBe('ns/a');
    expect(objectKey({ metadata: { name: 'node1' } })).toBe('node1');
    expect(splitObjectKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    const d: Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', uid: 'u1' } };
    const ref = ownerRefFor(d);
    expect(ref).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'u1',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(ownerRefFor(d, false)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'u1',
    });
    expect(controllerOf({ metadata: { ownerReferences: [ref] } })).toBe(ref);
    expect(nowTime(Date.UTC(2024, 4, 1, 12, 0, 0, 999))).toBe('2024-05-01T12:00:00Z');
  });
});
