/**
 * autoscaling/v2 HorizontalPodAutoscaler (k8s.io/api autoscaling/v2 types.go), and the
 * autoscaling/v1 form kubectl autoscale sends. Keelson stores these; no autoscaling controller
 * acts on them (there is no metrics pipeline), so status stays as clients write it.
 */
import type { LabelSelector, KubeObject, Quantity, Time } from './meta';

/** autoscaling CrossVersionObjectReference: the scaled workload ("apps/v1", "Deployment", "web"). */
export interface CrossVersionObjectReference {
  kind: string;
  name: string;
  apiVersion?: string;
}

/** autoscaling/v2 MetricTarget; type is "Utilization", "Value" or "AverageValue". */
export interface MetricTarget {
  type: string;
  value?: Quantity;
  averageValue?: Quantity;
  /** Percent of the pods' requests. */
  averageUtilization?: number;
}

/** autoscaling/v2 MetricValueStatus. */
export interface MetricValueStatus {
  value?: Quantity;
  averageValue?: Quantity;
  averageUtilization?: number;
}

/** autoscaling/v2 MetricIdentifier. */
export interface MetricIdentifier {
  name: string;
  selector?: LabelSelector;
}

/** autoscaling/v2 ResourceMetricSource: "cpu" or "memory" of the pods. */
export interface ResourceMetricSource {
  name: string;
  target: MetricTarget;
}

/** autoscaling/v2 ContainerResourceMetricSource. */
export interface ContainerResourceMetricSource {
  name: string;
  target: MetricTarget;
  container: string;
}

/** autoscaling/v2 PodsMetricSource. */
export interface PodsMetricSource {
  metric: MetricIdentifier;
  target: MetricTarget;
}

/** autoscaling/v2 ObjectMetricSource. */
export interface ObjectMetricSource {
  describedObject: CrossVersionObjectReference;
  target: MetricTarget;
  metric: MetricIdentifier;
}

/** autoscaling/v2 ExternalMetricSource. */
export interface ExternalMetricSource {
  metric: MetricIdentifier;
  target: MetricTarget;
}

/** autoscaling/v2 MetricSpec; type is "Resource", "ContainerResource", "Pods", "Object" or "External". */
export interface MetricSpec {
  type: string;
  object?: ObjectMetricSource;
  pods?: PodsMetricSource;
  resource?: ResourceMetricSource;
  containerResource?: ContainerResourceMetricSource;
  external?: ExternalMetricSource;
}

/** autoscaling/v2 ResourceMetricStatus. */
export interface ResourceMetricStatus {
  name: string;
  current: MetricValueStatus;
}

/** autoscaling/v2 ContainerResourceMetricStatus. */
export interface ContainerResourceMetricStatus {
  name: string;
  current: MetricValueStatus;
  container: string;
}

/** autoscaling/v2 PodsMetricStatus. */
export interface PodsMetricStatus {
  metric: MetricIdentifier;
  current: MetricValueStatus;
}

/** autoscaling/v2 ObjectMetricStatus. */
export interface ObjectMetricStatus {
  metric: MetricIdentifier;
  current: MetricValueStatus;
  describedObject: CrossVersionObjectReference;
}

/** autoscaling/v2 ExternalMetricStatus. */
export interface ExternalMetricStatus {
  metric: MetricIdentifier;
  current: MetricValueStatus;
}

/** autoscaling/v2 MetricStatus. */
export interface MetricStatus {
  type: string;
  object?: ObjectMetricStatus;
  pods?: PodsMetricStatus;
  resource?: ResourceMetricStatus;
  containerResource?: ContainerResourceMetricStatus;
  external?: ExternalMetricStatus;
}

/** autoscaling/v2 HPAScalingPolicy; type is "Pods" or "Percent"; periodSeconds in seconds. */
export interface HPAScalingPolicy {
  type: string;
  value: number;
  periodSeconds: number;
}

/** autoscaling/v2 HPAScalingRules; selectPolicy is "Max", "Min" or "Disabled". */
export interface HPAScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: string;
  policies?: HPAScalingPolicy[];
  tolerance?: Quantity;
}

/** autoscaling/v2 HorizontalPodAutoscalerBehavior. */
export interface HorizontalPodAutoscalerBehavior {
  scaleUp?: HPAScalingRules;
  scaleDown?: HPAScalingRules;
}

/** autoscaling/v2 HorizontalPodAutoscalerSpec; minReplicas defaults to 1, metrics to CPU at 80%. */
export interface HorizontalPodAutoscalerSpec {
  scaleTargetRef: CrossVersionObjectReference;
  minReplicas?: number;
  maxReplicas: number;
  metrics?: MetricSpec[];
  behavior?: HorizontalPodAutoscalerBehavior;
}

/** autoscaling/v2 HorizontalPodAutoscalerCondition. */
export interface HorizontalPodAutoscalerCondition {
  type: string;
  status: string;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** autoscaling/v2 HorizontalPodAutoscalerStatus. */
export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: Time;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: HorizontalPodAutoscalerCondition[];
}

/** autoscaling/v2 HorizontalPodAutoscaler. */
export interface HorizontalPodAutoscaler extends KubeObject {
  apiVersion?: 'autoscaling/v2';
  kind?: 'HorizontalPodAutoscaler';
  spec?: HorizontalPodAutoscalerSpec;
  status?: HorizontalPodAutoscalerStatus;
}
