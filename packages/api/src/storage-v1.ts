/** storage.k8s.io/v1 types (k8s.io/api/storage/v1), the subset Keelson serves: StorageClass. */
import type { KubeObject } from './meta';
import type { TypedList } from './core-v1';

/** core/v1 TopologySelectorLabelRequirement: a label key and the values it may take. */
export interface TopologySelectorLabelRequirement {
  key: string;
  values: string[];
}

/** core/v1 TopologySelectorTerm: requirements ANDed. */
export interface TopologySelectorTerm {
  matchLabelExpressions?: TopologySelectorLabelRequirement[];
}

/**
 * storage.k8s.io/v1 StorageClass (cluster-scoped): who provisions volumes of this class and how.
 * The default class carries the annotation {@link DEFAULT_STORAGE_CLASS_ANNOTATION} = "true".
 */
export interface StorageClass extends KubeObject {
  apiVersion?: 'storage.k8s.io/v1';
  kind?: 'StorageClass';
  /** The provisioner's name, e.g. "rancher.io/local-path". Immutable. */
  provisioner: string;
  parameters?: Record<string, string>;
  /** "Delete" (default) or "Retain": the reclaim policy of volumes it provisions. */
  reclaimPolicy?: string;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  /** "Immediate" (default) or "WaitForFirstConsumer". Immutable. */
  volumeBindingMode?: string;
  allowedTopologies?: TopologySelectorTerm[];
}

/** storage.k8s.io/v1 StorageClassList. */
export type StorageClassList = TypedList<StorageClass>;

/** Annotation marking the default StorageClass (value "true"). */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** PVC annotation naming the node the scheduler chose for a WaitForFirstConsumer claim. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** PVC annotation naming the provisioner asked to provision it (and its beta name). */
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
/** Legacy spelling of {@link STORAGE_PROVISIONER_ANNOTATION}, still set upstream. */
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
/** PV annotation naming the provisioner that created it. */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** PV/PVC annotation set when the binder bound them (pv.kubernetes.io/bind-completed). */
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
/** PV annotation: the binder bound it (not the user). */
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
