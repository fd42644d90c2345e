/**
 * Defaulting of the kinds served beside the core workloads (kubernetes pkg/apis/<group>/v1
 * defaults.go): rbac/v1 role references and subjects. Merged into {@link defaultObject}'s table.
 */
import { RBAC_GROUP, type ClusterRoleBinding, type RoleBinding } from './rbac-v1';

/** rbac/v1 SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject. */
function defaultBinding(b: RoleBinding | ClusterRoleBinding): void {
  if (b.roleRef && typeof b.roleRef === 'object' && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) {
    if (s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/** Defaulters by "apiVersion/Kind". */
export const kindDefaulters: Record<string, (o: never) => void> = {
  'rbac.authorization.k8s.io/v1/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': defaultBinding,
};
