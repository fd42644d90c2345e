/** Schema tables for the storage kinds: core/v1 PersistentVolume(Claim) and storage.k8s.io/v1 StorageClass. */
import { B, S, SARR, SMAP, T, arr, map, mergeBy, ref, req, Q, type TypeSchema } from './types';

const RL = map(Q);

/** core/v1 PersistentVolume and PersistentVolumeClaim types, by type name (OpenAPI package io.k8s.api.core.v1). */
export const coreV1StorageSchemas: Record<string, TypeSchema> = {
  LocalVolumeSource: { path: req(S), fsType: S },
  VolumeNodeAffinity: { required: ref('NodeSelector') },
  PersistentVolumeSpec: {
    capacity: RL,
    hostPath: ref('HostPathVolumeSource'),
    local: ref('LocalVolumeSource'),
    accessModes: SARR,
    claimRef: ref('ObjectReference'),
    persistentVolumeReclaimPolicy: S,
    storageClassName: S,
    mountOptions: SARR,
    volumeMode: S,
    nodeAffinity: ref('VolumeNodeAffinity'),
    volumeAttributesClassName: S,
  },
  PersistentVolumeStatus: { phase: S, message: S, reason: S, lastPhaseTransitionTime: T },
  PersistentVolume: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    spec: ref('PersistentVolumeSpec'),
    status: ref('PersistentVolumeStatus'),
  },
  VolumeResourceRequirements: { limits: RL, requests: RL },
  // TypedLocalObjectReference: core/v1, in the networking table (Ingress backends use it too)
  TypedObjectReference: { apiGroup: S, kind: req(S), name: req(S), namespace: S },
  PersistentVolumeClaimSpec: {
    accessModes: SARR,
    selector: ref('LabelSelector'),
    resources: ref('VolumeResourceRequirements'),
    volumeName: S,
    storageClassName: S,
    volumeMode: S,
    dataSource: ref('TypedLocalObjectReference'),
    dataSourceRef: ref('TypedObjectReference'),
    volumeAttributesClassName: S,
  },
  PersistentVolumeClaimCondition: {
    type: req(S),
    status: req(S),
    lastProbeTime: T,
    lastTransitionTime: T,
    reason: S,
    message: S,
  },
  PersistentVolumeClaimStatus: {
    phase: S,
    accessModes: SARR,
    capacity: RL,
    conditions: mergeBy('type', arr(ref('PersistentVolumeClaimCondition'))),
    allocatedResources: RL,
    allocatedResourceStatuses: SMAP,
    currentVolumeAttributesClassName: S,
  },
  PersistentVolumeClaim: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    spec: ref('PersistentVolumeClaimSpec'),
    status: ref('PersistentVolumeClaimStatus'),
  },
  TopologySelectorLabelRequirement: { key: req(S), values: req(SARR) },
  TopologySelectorTerm: { matchLabelExpressions: arr(ref('TopologySelectorLabelRequirement')) },
};

/** storage.k8s.io/v1 types, by type name (OpenAPI package io.k8s.api.storage.v1). */
export const storageV1Schemas: Record<string, TypeSchema> = {
  StorageClass: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    provisioner: req(S),
    parameters: SMAP,
    reclaimPolicy: S,
    mountOptions: SARR,
    allowVolumeExpansion: B,
    volumeBindingMode: S,
    allowedTopologies: arr(ref('TopologySelectorTerm')),
  },
};
