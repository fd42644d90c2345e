import type { KubeObject } from '@keelson/api';
import { hpaV1ToV2, hpaV2ToV1, isHpaV1 } from './hpa-v1';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

describe('autoscaling/v1 ↔ v2 HorizontalPodAutoscaler', () => {
  it('names the v1 resource only', () => {
    expect(isHpaV1({ group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' })).toBe(true);
    expect(isHpaV1({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' })).toBe(
      false,
    );
  });

  it('turns the CPU target into a metric and keeps the stored v2-only fields', () => {
    const stored = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h' },
      spec: {
        scaleTargetRef: ref,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } },
          },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
      },
      status: { currentReplicas: 2, desiredReplicas: 3 },
    } as KubeObject;
    const v1 = hpaV2ToV1(stored) as any;
    expect(v1).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h' },
      spec: { scaleTargetRef: ref, maxReplicas: 3, targetCPUUtilizationPercentage: 80 },
      status: { currentReplicas: 2, desiredReplicas: 3 },
    });
    v1.spec.targetCPUUtilizationPercentage = 50;
    const back = hpaV1ToV2(v1, stored) as any;
    expect(back.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
      },
      (stored as any).spec.metrics[1],
    ]);
    expect(back.spec.behavior).toEqual({ scaleDown: { stabilizationWindowSeconds: 60 } });
    expect((stored as any).spec.metrics[0].resource.target.averageUtilization).toBe(80);
  });
});
