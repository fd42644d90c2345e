/**
 * Defaulting of the kinds served beside the core workloads (kubernetes pkg/apis/<group>/v1
 * defaults.go): rbac/v1 role references and subjects, networking/v1 NetworkPolicy ports and
 * policyTypes, core/v1 LimitRange container items, autoscaling/v2 HorizontalPodAutoscaler. Merged into {@link defaultObject}'s table.
 */
import type { HorizontalPodAutoscaler } from './autoscaling-v2';
import type { NetworkPolicy } from './networking-v1';
import type { LimitRange, LimitRangeItem } from './quota-v1';
import { RBAC_GROUP, type ClusterRoleBinding, type RoleBinding } from './rbac-v1';

/** rbac/v1 SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject. */
function defaultBinding(b: RoleBinding | ClusterRoleBinding): void {
  if (b.roleRef && typeof b.roleRef === 'object' && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
  for (const s of b.subjects ?? []) {
    if (s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

/** networking/v1 SetDefaults_NetworkPolicyPort / _NetworkPolicy: TCP ports, policyTypes from the rules. */
function defaultNetworkPolicy(np: NetworkPolicy): void {
  const s = np.spec;
  if (!s || typeof s !== 'object') return;
  for (const r of [...(s.ingress ?? []), ...(s.egress ?? [])])
    for (const p of r?.ports ?? []) if (p && !p.protocol) p.protocol = 'TCP';
  if (!s.policyTypes?.length) s.policyTypes = s.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** core/v1 SetDefaults_LimitRangeItem: Container items get default ← max, defaultRequest ← default, then ← min. */
function defaultLimitRange(lr: LimitRange): void {
  for (const item of (lr.spec?.limits ?? []) as LimitRangeItem[]) {
    if (!item || item.type !== 'Container') continue;
    const def = (item.default ??= {});
    const req = (item.defaultRequest ??= {});
    for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
  }
}

/** autoscaling/v2 SetDefaults_HorizontalPodAutoscaler: minReplicas 1, CPU at 80% when no metric is set. */
function defaultHpa(hpa: HorizontalPodAutoscaler): void {
  const s = hpa.spec;
  if (!s || typeof s !== 'object') return;
  s.minReplicas ??= 1;
  if (!s.metrics?.length)
    s.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
}

/** Defaulters by "apiVersion/Kind". */
export const kindDefaulters: Record<string, (o: never) => void> = {
  'rbac.authorization.k8s.io/v1/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': defaultBinding,
  'networking.k8s.io/v1/NetworkPolicy': defaultNetworkPolicy,
  'v1/LimitRange': defaultLimitRange,
  'autoscaling/v2/HorizontalPodAutoscaler': defaultHpa,
};
