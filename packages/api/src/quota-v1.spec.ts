import { defaultObject } from './defaults';
import type { KubeObject } from './meta';
import { applyLimitRangeDefaults, type LimitRange } from './quota-v1';
import { validateObject } from './validation/validate';

function check(o: object): string[] {
  const x = o as KubeObject;
  defaultObject(x);
  return validateObject(x).map((c) => `${c.field}: ${c.message}`);
}
const meta = { name: 'x', namespace: 'default' };

describe('ResourceQuota and LimitRange', () => {
  it('validates quota resource names, values and scopes', () => {
    expect(
      check({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: meta,
        spec: { hard: { pods: '10', 'requests.cpu': '2', 'count/deployments.apps': '3' } },
      }),
    ).toEqual([]);
    expect(
      check({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: meta,
        spec: { hard: { gpus: '1', services: '-1' }, scopes: ['Sometimes'] },
      }),
    ).toEqual([
      'spec.hard[gpus]: Invalid value: "gpus": must be a standard resource for quota',
      'spec.hard[services]: Invalid value: "-1": must be greater than or equal to 0',
      'spec.scopes[0]: Unsupported value: "Sometimes": supported values: "BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"',
    ]);
  });

  it('defaults LimitRange container items and checks their order', () => {
    const lr: any = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta,
      spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' } }] },
    };
    expect(check(lr)).toEqual([]);
    expect(lr.spec.limits[0].default).toEqual({ cpu: '1' });
    expect(lr.spec.limits[0].defaultRequest).toEqual({ cpu: '1', memory: '64Mi' });
    expect(
      check({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: meta,
        spec: {
          limits: [
            { type: 'Container', min: { cpu: '2' }, max: { cpu: '1' }, default: { cpu: '1' } },
            { type: 'Pod', default: { cpu: '1' } },
            { type: 'Node' },
          ],
        },
      }),
    ).toEqual([
      'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
      'spec.limits[0].default[cpu]: Invalid value: "1": min value 2 is greater than default value 1',
      "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
      'spec.limits[2].type: Unsupported value: "Node": supported values: "Container", "PersistentVolumeClaim", "Pod"',
    ]);
  });

  it("reports each broken ordering of min, defaultRequest, default and max with upstream's message", () => {
    const item = (v: Record<string, string>) =>
      check({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: meta,
        spec: {
          limits: [
            {
              type: 'Container',
              ...Object.fromEntries(Object.entries(v).map(([f, q]) => [f, { cpu: q }])),
            },
          ],
        },
      });
    expect(item({ min: '2', max: '1', default: '1', defaultRequest: '1' })).toEqual(
      expect.arrayContaining([
        'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
        'spec.limits[0].default[cpu]: Invalid value: "1": min value 2 is greater than default value 1',
      ]),
    );
    expect(item({ max: '1', default: '2', defaultRequest: '3' })).toEqual(
      expect.arrayContaining([
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater than max value 1',
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "3": default request value 3 is greater than default limit value 2',
        'spec.limits[0].default[cpu]: Invalid value: "2": default value 2 is greater than max value 1',
      ]),
    );
    expect(item({ min: '1', defaultRequest: '2', default: '3', max: '4' })).toEqual([]);
  });

  it('applies container defaults like LimitRanger, keeping what the pod sets', () => {
    const ranges: LimitRange[] = [
      {
        metadata: { name: 'a' },
        spec: {
          limits: [
            { type: 'Pod', max: { cpu: '4' } },
            {
              type: 'Container',
              default: { cpu: '500m', memory: '1Gi' },
              defaultRequest: { cpu: '100m', memory: '1Gi' },
            },
          ],
        },
      },
    ];
    const pod: any = {
      metadata: {},
      spec: {
        initContainers: [{ name: 'init' }],
        containers: [
          { name: 'web', resources: { limits: { cpu: '2' } } },
          { name: 'side', resources: { requests: { memory: '1Mi' } } },
        ],
      },
    };
    applyLimitRangeDefaults(pod, ranges);
    expect(pod.spec.containers[0].resources).toEqual({
      limits: { cpu: '2', memory: '1Gi' },
      requests: { memory: '1Gi' },
    });
    expect(pod.spec.containers[1].resources).toEqual({
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '100m', memory: '1Mi' },
    });
    expect(pod.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for init container init; cpu, memory limit for init container init; memory request for container web; memory limit for container web; cpu request for container side; cpu, memory limit for container side',
    );
    const untouched: any = { metadata: {}, spec: { containers: [{ name: 'c' }] } };
    applyLimitRangeDefaults(untouched, []);
    expect(untouched.metadata.annotations).toBeUndefined();
  });
});
