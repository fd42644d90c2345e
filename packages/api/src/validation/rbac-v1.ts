/**
 * Validation of rbac.authorization.k8s.io/v1 kinds (kubernetes pkg/apis/rbac/validation):
 * policy rules, aggregation rules, role references (immutable on update) and subjects.
 */
import type { StatusCause } from '../meta';
import { RBAC_GROUP } from '../rbac-v1';
import { fieldInvalid, fieldNotSupported, fieldRequired } from '../status';
import { isPathSegmentName, validateSelectorFields } from './common';
import { isDNS1123Subdomain } from './names';

type Any = any;

/** ValidatePolicyRule: verbs required; resource rules need apiGroups and resources. */
function validatePolicyRule(out: StatusCause[], rule: Any, namespaced: boolean, path: string): void {
  if (!rule?.verbs?.length) out.push(fieldRequired(`${path}.verbs`, 'verbs must contain at least one value'));
  if (rule?.nonResourceURLs?.length) {
    if (namespaced)
      out.push(
        fieldInvalid(
          `${path}.nonResourceURLs`,
          rule.nonResourceURLs,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length)
      out.push(
        fieldInvalid(
          `${path}.nonResourceURLs`,
          rule.nonResourceURLs,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    return;
  }
  if (!rule?.apiGroups?.length)
    out.push(fieldRequired(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!rule?.resources?.length)
    out.push(fieldRequired(`${path}.resources`, 'resource rules must supply at least one resource'));
}

function validateRules(out: StatusCause[], o: Any, namespaced: boolean): void {
  ((o.rules ?? []) as Any[]).forEach((r, i) => validatePolicyRule(out, r, namespaced, `rules[${i}]`));
}

function validateRole(o: Any): StatusCause[] {
  const out: StatusCause[] = [];
  validateRules(out, o, true);
  return out;
}

function validateClusterRole(o: Any): StatusCause[] {
  const out: StatusCause[] = [];
  validateRules(out, o, false);
  if (o.aggregationRule) {
    const sels: Any[] = o.aggregationRule.clusterRoleSelectors ?? [];
    if (!sels.length)
      out.push(
        fieldRequired(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    sels.forEach((s, i) => validateSelectorFields(out, s, `aggregationRule.clusterRoleSelectors[${i}]`));
  }
  return out;
}

/** ValidateRoleBindingSubject. `namespaced` is false for ClusterRoleBindings. */
function validateSubject(out: StatusCause[], s: Any, namespaced: boolean, path: string): void {
  if (!s?.name) out.push(fieldRequired(`${path}.name`, ''));
  switch (s?.kind) {
    case 'ServiceAccount':
      if (s.name)
        for (const m of isDNS1123Subdomain(s.name)) out.push(fieldInvalid(`${path}.name`, s.name, m));
      if (s.apiGroup) out.push(fieldNotSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) out.push(fieldRequired(`${path}.namespace`, ''));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP)
        out.push(fieldNotSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      out.push(fieldNotSupported(`${path}.kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
}

function validateBinding(o: Any, old: Any, namespaced: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = o.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP)
    out.push(fieldNotSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) out.push(fieldNotSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) out.push(fieldRequired('roleRef.name', ''));
  else for (const m of isPathSegmentName(ref.name)) out.push(fieldInvalid('roleRef.name', ref.name, m));
  ((o.subjects ?? []) as Any[]).forEach((s, i) => validateSubject(out, s, namespaced, `subjects[${i}]`));
  if (old) {
    const a = old.roleRef ?? {};
    if (a.apiGroup !== ref.apiGroup || a.kind !== ref.kind || a.name !== ref.name)
      // field.Invalid renders the Go struct with %#v.
      out.push({
        reason: 'FieldValueInvalid',
        field: 'roleRef',
        message: `Invalid value: rbac.RoleRef{APIGroup:${JSON.stringify(ref.apiGroup ?? '')}, Kind:${JSON.stringify(ref.kind ?? '')}, Name:${JSON.stringify(ref.name ?? '')}}: cannot change roleRef`,
      });
  }
  return out;
}

/** Validators of the rbac/v1 kinds by "apiVersion/Kind" (merged into validateObject's table). */
export const rbacValidators: Record<string, (o: Any, old: Any) => StatusCause[]> = {
  'rbac.authorization.k8s.io/v1/Role': (o) => validateRole(o),
  'rbac.authorization.k8s.io/v1/ClusterRole': (o) => validateClusterRole(o),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o, old) => validateBinding(o, old, true),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (o, old) => validateBinding(o, old, false),
};

/** Object-name rules of the rbac/v1 kinds (ValidateRBACName = path segment name). */
export const rbacNameRules: Record<string, (n: string) => string[]> = {
  Role: isPathSegmentName,
  ClusterRole: isPathSegmentName,
  RoleBinding: isPathSegmentName,
  ClusterRoleBinding: isPathSegmentName,
};
