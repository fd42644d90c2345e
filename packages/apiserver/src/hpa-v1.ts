/**
 * autoscaling/v1 HorizontalPodAutoscaler as a view of the stored autoscaling/v2 object (what
 * upstream's conversion does; kubectl v1.32 `autoscale` speaks v1). v1 carries one CPU
 * utilization target: v1 → v2 turns targetCPUUtilizationPercentage into a Resource cpu
 * Utilization metric and keeps the stored object's other metrics and behavior; v2 → v1 reports
 * the first cpu Utilization metric. Deviation: upstream also round-trips the other metrics through
 * annotations on the v1 object; Keelson leaves them out of the v1 view (they stay in storage).
 */
import type { HorizontalPodAutoscaler, KubeObject, MetricSpec } from '@keelson/api';

type Any = any;

/** True when a request names autoscaling/v1 horizontalpodautoscalers. */
export function isHpaV1(ref: { group?: string; version?: string; resource?: string }): boolean {
  return ref.group === 'autoscaling' && ref.version === 'v1' && ref.resource === 'horizontalpodautoscalers';
}

const isObj = (v: unknown): v is Record<string, Any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isCpuUtilization(m: MetricSpec | undefined): boolean {
  return m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';
}

/**
 * Converts an autoscaling/v1 HPA body to autoscaling/v2, over `base` (the stored v2 object on
 * update) so v2-only fields survive. Non-object bodies are returned unchanged (validation reports them).
 */
export function hpaV1ToV2(v1: unknown, base?: KubeObject): unknown {
  if (!isObj(v1)) return v1;
  const b = (base ?? {}) as HorizontalPodAutoscaler;
  const spec = isObj(v1.spec) ? v1.spec : {};
  const others = (b.spec?.metrics ?? []).filter((m) => !isCpuUtilization(m));
  const cpu: MetricSpec[] =
    typeof spec.targetCPUUtilizationPercentage === 'number'
      ? [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage },
            },
          },
        ]
      : [];
  const metrics = [...cpu, ...others];
  const out: Any = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: v1.metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(metrics.length ? { metrics } : {}),
      ...(b.spec?.behavior ? { behavior: b.spec.behavior } : {}),
    },
  };
  if (isObj(v1.status)) {
    const st = v1.status;
    const curOthers = (b.status?.currentMetrics ?? []).filter(
      (m) => !(m.type === 'Resource' && m.resource?.name === 'cpu'),
    );
    const current =
      typeof st.currentCPUUtilizationPercentage === 'number'
        ? [
            {
              type: 'Resource',
              resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } },
            },
          ]
        : [];
    out.status = {
      ...(st.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      ...(st.currentReplicas !== undefined ? { currentReplicas: st.currentReplicas } : {}),
      desiredReplicas: st.desiredReplicas ?? 0,
      ...(current.length + curOthers.length ? { currentMetrics: [...current, ...curOthers] } : {}),
      ...(b.status?.conditions ? { conditions: b.status.conditions } : {}),
    };
  }
  return out;
}

/** The autoscaling/v1 view of a stored autoscaling/v2 HPA (a new object; the input is not changed). */
export function hpaV2ToV1(obj: KubeObject): KubeObject {
  if (obj.kind !== 'HorizontalPodAutoscaler') return obj;
  const v2 = obj as HorizontalPodAutoscaler;
  const s = v2.spec;
  const cpu = s?.metrics?.find(isCpuUtilization);
  const st = v2.status;
  const cur = st?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: v2.metadata,
    spec: {
      scaleTargetRef: s?.scaleTargetRef,
      ...(s?.minReplicas !== undefined ? { minReplicas: s.minReplicas } : {}),
      maxReplicas: s?.maxReplicas,
      ...(cpu?.resource?.target.averageUtilization !== undefined
        ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization }
        : {}),
    },
    status: {
      ...(st?.observedGeneration !== undefined ? { observedGeneration: st.observedGeneration } : {}),
      ...(st?.lastScaleTime ? { lastScaleTime: st.lastScaleTime } : {}),
      currentReplicas: st?.currentReplicas ?? 0,
      desiredReplicas: st?.desiredReplicas ?? 0,
      ...(cur?.resource?.current.averageUtilization !== undefined
        ? { currentCPUUtilizationPercentage: cur.resource.current.averageUtilization }
        : {}),
    },
  } as KubeObject;
}
