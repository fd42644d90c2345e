/**
 * The object types the controllers read and write: @keelson/api's (k8s.io/api apps/v1, batch/v1,
 * core/v1, discovery/v1, coordination/v1). The workload kinds are narrowed to "spec present":
 * the apiserver's validation rejects a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or
 * CronJob without one, so every object a controller sees has it.
 */
import type * as api from '@keelson/api';

export type {
  Condition,
  ControllerRevision,
  DeploymentStrategy,
  EndpointAddress,
  EndpointSlice,
  EndpointSubset,
  Endpoints,
  KubeObject,
  LabelSelector,
  Lease,
  Namespace,
  Node,
  ObjectMeta,
  Pod,
  Service,
  ServicePort,
  Taint,
  Toleration,
  PodTemplateSpec as PodTemplate,
  Endpoint as SliceEndpoint,
  EndpointSlicePort as SlicePort,
} from '@keelson/api';

/** `T` with its `spec` required (objects that passed the apiserver's validation). */
export type WithSpec<T extends { spec?: unknown }> = T & { spec: NonNullable<T['spec']> };

/**
 * The fields of the workload, node and namespace conditions (apps/v1 DeploymentCondition,
 * batch/v1 JobCondition, core/v1 NodeCondition ...), each kind's timestamps optional, so one set
 * of helpers reads and sets any of them.
 */
export interface GenericCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  /** apps/v1 DeploymentCondition. */
  lastUpdateTime?: string;
  /** batch/v1 JobCondition. */
  lastProbeTime?: string;
  /** core/v1 NodeCondition. */
  lastHeartbeatTime?: string;
}

/** apps/v1 Deployment. */
export type Deployment = WithSpec<api.Deployment>;
/** apps/v1 ReplicaSet. */
export type ReplicaSet = WithSpec<api.ReplicaSet>;
/** apps/v1 StatefulSet. */
export type StatefulSet = WithSpec<api.StatefulSet>;
/** apps/v1 DaemonSet. */
export type DaemonSet = WithSpec<api.DaemonSet>;
/** batch/v1 Job. */
export type Job = WithSpec<api.Job>;
/** batch/v1 CronJob. */
export type CronJob = WithSpec<api.CronJob>;
