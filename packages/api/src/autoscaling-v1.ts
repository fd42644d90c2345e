/** autoscaling/v1 Scale: the scale subresource of Deployments, ReplicaSets and StatefulSets. */
import type { KubeObject } from './meta';

/** autoscaling/v1 ScaleSpec. */
export interface ScaleSpec {
  replicas?: number;
}

/** autoscaling/v1 ScaleStatus; selector is the label selector in string form. */
export interface ScaleStatus {
  replicas: number;
  selector?: string;
}

/** autoscaling/v1 Scale. */
export interface Scale extends KubeObject {
  apiVersion?: 'autoscaling/v1';
  kind?: 'Scale';
  spec?: ScaleSpec;
  status?: ScaleStatus;
}
