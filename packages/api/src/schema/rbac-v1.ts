/** Schema tables for rbac.authorization.k8s.io/v1 (rbac-v1.ts). */
import { S, SARR, arr, ref, req, type TypeSchema } from './types';

/** Schema tables of the rbac/v1 types, by type name. */
export const rbacV1Schemas: Record<string, TypeSchema> = {
  PolicyRule: {
    verbs: req(SARR),
    apiGroups: SARR,
    resources: SARR,
    resourceNames: SARR,
    nonResourceURLs: SARR,
  },
  AggregationRule: { clusterRoleSelectors: arr(ref('LabelSelector')) },
  Role: { kind: S, apiVersion: S, metadata: ref('ObjectMeta'), rules: arr(ref('PolicyRule')) },
  ClusterRole: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    rules: arr(ref('PolicyRule')),
    aggregationRule: ref('AggregationRule'),
  },
  Subject: { kind: req(S), apiGroup: S, name: req(S), namespace: S },
  RoleRef: { apiGroup: req(S), kind: req(S), name: req(S) },
  RoleBinding: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    subjects: arr(ref('Subject')),
    roleRef: req(ref('RoleRef')),
  },
  ClusterRoleBinding: {
    kind: S,
    apiVersion: S,
    metadata: ref('ObjectMeta'),
    subjects: arr(ref('Subject')),
    roleRef: req(ref('RoleRef')),
  },
};
