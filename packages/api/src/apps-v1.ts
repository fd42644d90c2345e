/**
 * apps/v1 types (k8s.io/api/apps/v1): Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * ControllerRevision. JSON field names; optional where Kubernetes has omitempty.
 */
import type { PersistentVolumeClaim, PodTemplateSpec } from './core-v1';
import type { IntOrString, KubeObject, LabelSelector, Time } from './meta';

/** apps/v1 RollingUpdateDeployment. Defaults 25% / 25%. */
export interface RollingUpdateDeployment {
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
}

/** apps/v1 DeploymentStrategy. type: "RollingUpdate" (default) or "Recreate". */
export interface DeploymentStrategy {
  type?: string;
  rollingUpdate?: RollingUpdateDeployment;
}

/** apps/v1 DeploymentSpec. */
export interface DeploymentSpec {
  /** Defaults to 1. */
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  /** Defaults to 10. */
  revisionHistoryLimit?: number;
  paused?: boolean;
  /** Seconds; defaults to 600. */
  progressDeadlineSeconds?: number;
}

/** apps/v1 DeploymentCondition. type: Available, Progressing, ReplicaFailure. */
export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** apps/v1 DeploymentStatus. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

/** apps/v1 Deployment. */
export interface Deployment extends KubeObject {
  apiVersion?: 'apps/v1';
  kind?: 'Deployment';
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

/** apps/v1 ReplicaSetSpec. */
export interface ReplicaSetSpec {
  /** Defaults to 1. */
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template?: PodTemplateSpec;
}

/** apps/v1 ReplicaSetCondition. */
export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** apps/v1 ReplicaSetStatus. */
export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** apps/v1 ReplicaSet. */
export interface ReplicaSet extends KubeObject {
  apiVersion?: 'apps/v1';
  kind?: 'ReplicaSet';
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

/** apps/v1 RollingUpdateStatefulSetStrategy. */
export interface RollingUpdateStatefulSetStrategy {
  /** Defaults to 0. */
  partition?: number;
  maxUnavailable?: IntOrString;
}

/** apps/v1 StatefulSetUpdateStrategy. type: "RollingUpdate" (default) or "OnDelete". */
export interface StatefulSetUpdateStrategy {
  type?: string;
  rollingUpdate?: RollingUpdateStatefulSetStrategy;
}

/** apps/v1 StatefulSetPersistentVolumeClaimRetentionPolicy. "Retain" or "Delete". */
export interface StatefulSetPersistentVolumeClaimRetentionPolicy {
  whenDeleted?: string;
  whenScaled?: string;
}

/** apps/v1 StatefulSetOrdinals. */
export interface StatefulSetOrdinals {
  start?: number;
}

/** apps/v1 StatefulSetSpec. */
export interface StatefulSetSpec {
  /** Defaults to 1. */
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  /** PersistentVolumeClaim templates: one claim `<template>-<set>-<ordinal>` per pod and template. */
  volumeClaimTemplates?: PersistentVolumeClaim[];
  serviceName?: string;
  /** "OrderedReady" (default) or "Parallel". */
  podManagementPolicy?: string;
  updateStrategy?: StatefulSetUpdateStrategy;
  /** Defaults to 10. */
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: StatefulSetPersistentVolumeClaimRetentionPolicy;
  ordinals?: StatefulSetOrdinals;
}

/** apps/v1 StatefulSetCondition. */
export interface StatefulSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** apps/v1 StatefulSetStatus. */
export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: StatefulSetCondition[];
  availableReplicas?: number;
}

/** apps/v1 StatefulSet. */
export interface StatefulSet extends KubeObject {
  apiVersion?: 'apps/v1';
  kind?: 'StatefulSet';
  spec?: StatefulSetSpec;
  status?: StatefulSetStatus;
}

/** apps/v1 RollingUpdateDaemonSet. Defaults maxUnavailable 1, maxSurge 0. */
export interface RollingUpdateDaemonSet {
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
}

/** apps/v1 DaemonSetUpdateStrategy. type: "RollingUpdate" (default) or "OnDelete". */
export interface DaemonSetUpdateStrategy {
  type?: string;
  rollingUpdate?: RollingUpdateDaemonSet;
}

/** apps/v1 DaemonSetSpec. */
export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  /** Defaults to 10. */
  revisionHistoryLimit?: number;
}

/** apps/v1 DaemonSetCondition. */
export interface DaemonSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** apps/v1 DaemonSetStatus. */
export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: DaemonSetCondition[];
}

/** apps/v1 DaemonSet. */
export interface DaemonSet extends KubeObject {
  apiVersion?: 'apps/v1';
  kind?: 'DaemonSet';
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

/** apps/v1 ControllerRevision: an immutable snapshot of a workload's template. */
export interface ControllerRevision extends KubeObject {
  apiVersion?: 'apps/v1';
  kind?: 'ControllerRevision';
  /** Arbitrary JSON (runtime.RawExtension), usually a strategic merge patch of the template. */
  data?: unknown;
  revision: number;
}
