/**
 * rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding (k8s.io/api
 * rbac/v1 types.go). Keelson stores and validates these; it does not enforce them (every
 * authenticated request is allowed), which is what manifests that ship RBAC objects need.
 */
import type { KubeObject, LabelSelector } from './meta';

/** The API group of the RBAC kinds. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** rbac/v1 PolicyRule: verbs on resources (apiGroups + resources [+ resourceNames]) or on nonResourceURLs. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** rbac/v1 AggregationRule: ClusterRoles whose rules are aggregated into this one (stored as is). */
export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

/** rbac/v1 Role (namespaced). */
export interface Role extends KubeObject {
  apiVersion?: 'rbac.authorization.k8s.io/v1';
  kind?: 'Role';
  rules?: PolicyRule[];
}

/** rbac/v1 ClusterRole (cluster-scoped). */
export interface ClusterRole extends KubeObject {
  apiVersion?: 'rbac.authorization.k8s.io/v1';
  kind?: 'ClusterRole';
  rules?: PolicyRule[];
  aggregationRule?: AggregationRule;
}

/** rbac/v1 Subject: kind is "User", "Group" or "ServiceAccount". */
export interface Subject {
  kind: string;
  /** "" for ServiceAccount, "rbac.authorization.k8s.io" for User and Group (defaulted). */
  apiGroup?: string;
  name: string;
  namespace?: string;
}

/** rbac/v1 RoleRef: the role a binding grants; immutable once created. */
export interface RoleRef {
  apiGroup: string;
  /** "Role" or "ClusterRole". */
  kind: string;
  name: string;
}

/** rbac/v1 RoleBinding (namespaced). */
export interface RoleBinding extends KubeObject {
  apiVersion?: 'rbac.authorization.k8s.io/v1';
  kind?: 'RoleBinding';
  subjects?: Subject[];
  roleRef: RoleRef;
}

/** rbac/v1 ClusterRoleBinding (cluster-scoped). */
export interface ClusterRoleBinding extends KubeObject {
  apiVersion?: 'rbac.authorization.k8s.io/v1';
  kind?: 'ClusterRoleBinding';
  subjects?: Subject[];
  roleRef: RoleRef;
}
