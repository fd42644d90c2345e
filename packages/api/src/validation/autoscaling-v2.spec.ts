import { defaultObject } from '../defaults';
import type { KubeObject } from '../meta';
import { validateObject } from './validate';

function check(o: any): string[] {
  defaultObject(o as KubeObject);
  return validateObject(o as KubeObject).map((c) => `${c.field}: ${c.message}`);
}
const hpa = (spec: object) => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'h', namespace: 'default' },
  spec,
});
const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

describe('autoscaling/v2 HorizontalPodAutoscaler', () => {
  it('defaults minReplicas and the CPU metric', () => {
    const o: any = hpa({ scaleTargetRef: ref, maxReplicas: 3 });
    expect(check(o)).toEqual([]);
    expect(o.spec.minReplicas).toBe(1);
    expect(o.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]);
  });

  it('rejects bad bounds, targets and metrics with upstream messages', () => {
    expect(
      check(
        hpa({
          scaleTargetRef: { kind: 'Deployment' },
          minReplicas: 4,
          maxReplicas: 2,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } },
            },
            { type: 'Pods' },
            { type: 'Magic' },
          ],
          behavior: { scaleDown: { policies: [{ type: 'Pods', value: 0, periodSeconds: 4000 }] } },
        }),
      ),
    ).toEqual([
      'spec.scaleTargetRef.name: Required value',
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
      'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
      'spec.metrics[1].pods: Required value: must populate information for the given metric source',
      'spec.metrics[2].type: Unsupported value: "Magic": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
      'spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero',
      'spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 4000: must be less than or equal to 1800',
    ]);
  });
});
