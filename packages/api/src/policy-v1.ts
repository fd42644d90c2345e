/** policy/v1: Eviction (POSTed to pods/eviction) and PodDisruptionBudget. */
import type { Condition, DeleteOptions, IntOrString, KubeObject, LabelSelector, Time } from './meta';

/** policy/v1 Eviction; metadata names the pod to evict. */
export interface Eviction extends KubeObject {
  apiVersion?: 'policy/v1';
  kind?: 'Eviction';
  deleteOptions?: DeleteOptions;
}

/** policy/v1 PodDisruptionBudgetSpec: set at most one of minAvailable and maxUnavailable. */
export interface PodDisruptionBudgetSpec {
  /** Pods that must stay available after an eviction: a count or a percentage ("50%"). */
  minAvailable?: IntOrString;
  /** Pods matched by this selector are covered; {} covers every pod of the namespace, absent none. */
  selector?: LabelSelector;
  /** Pods that may be unavailable after an eviction: a count or a percentage. */
  maxUnavailable?: IntOrString;
  /** "IfHealthyBudget" (default behaviour) or "AlwaysAllow". */
  unhealthyPodEvictionPolicy?: string;
}

/** policy/v1 PodDisruptionBudgetStatus. */
export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  /** Pods evicted but not yet observed deleted: pod name → eviction time. */
  disruptedPods?: Record<string, Time>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  /** The `DisruptionAllowed` condition. */
  conditions?: Condition[];
}

/** policy/v1 PodDisruptionBudget. */
export interface PodDisruptionBudget extends KubeObject {
  apiVersion?: 'policy/v1';
  kind?: 'PodDisruptionBudget';
  spec?: PodDisruptionBudgetSpec;
  status?: PodDisruptionBudgetStatus;
}
