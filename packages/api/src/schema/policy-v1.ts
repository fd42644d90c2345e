/** Schema tables for policy/v1 PodDisruptionBudget (policy-v1.ts; Eviction is in other.ts). */
import { I, I64, IOS, S, T, arr, map, mergeBy, ref, req, type TypeSchema } from './types';

/** Schema tables of the policy/v1 PodDisruptionBudget types, by type name. */
export const policyV1Schemas: Record<string, TypeSchema> = {
  PodDisruptionBudgetSpec: {
    minAvailable: IOS,
    selector: ref('LabelSelector'),
    maxUnavailable: IOS,
    unhealthyPodEvictionPolicy: S,
  },
  PodDisruptionBudgetStatus: {
    observedGeneration: I64,
    disruptedPods: map(T),
    disruptionsAllowed: req(I),
    currentHealthy: req(I),
    desiredHealthy: req(I),
    expectedPods: req(I),
    conditions: mergeBy('type', arr(ref('Condition'))),
  },
  PodDisruptionBudget: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    spec: ref('PodDisruptionBudgetSpec'),
    status: ref('PodDisruptionBudgetStatus'),
  },
};
