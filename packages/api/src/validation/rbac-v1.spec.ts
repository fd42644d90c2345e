import { defaultObject } from '../defaults';
import type { KubeObject } from '../meta';
import { validateObject } from './validate';

const G = 'rbac.authorization.k8s.io';
const V = `${G}/v1`;

function obj(o: object): KubeObject {
  const x = o as KubeObject;
  defaultObject(x);
  return x;
}
const fields = (causes: { field?: string; message?: string }[]) =>
  causes.map((c) => `${c.field}: ${c.message}`);

describe('rbac/v1 validation (pkg/apis/rbac/validation)', () => {
  it('accepts a Role and a ClusterRole with colon names and aggregation', () => {
    expect(
      validateObject(
        obj({
          apiVersion: V,
          kind: 'Role',
          metadata: { name: 'pod-reader', namespace: 'default' },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
        }),
      ),
    ).toEqual([]);
    expect(
      validateObject(
        obj({
          apiVersion: V,
          kind: 'ClusterRole',
          metadata: { name: 'system:aggregate-to-view' },
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/agg': 'true' } }] },
          rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }],
        }),
      ),
    ).toEqual([]);
  });

  it('rejects bad rules with upstream messages', () => {
    const causes = validateObject(
      obj({
        apiVersion: V,
        kind: 'Role',
        metadata: { name: 'a/b', namespace: 'default' },
        rules: [{ verbs: [] }, { verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }],
      }),
    );
    expect(fields(causes)).toEqual([
      'metadata.name: Invalid value: "a/b": may not contain \'/\'',
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
      'rules[1].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs',
      'rules[1].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
    expect(
      fields(
        validateObject(
          obj({ apiVersion: V, kind: 'ClusterRole', metadata: { name: 'x' }, aggregationRule: {} }),
        ),
      ),
    ).toEqual([
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });

  it('defaults roleRef and subject apiGroups and validates bindings', () => {
    const rb = obj({
      apiVersion: V,
      kind: 'RoleBinding',
      metadata: { name: 'rb', namespace: 'default' },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'jane' },
        { kind: 'ServiceAccount', name: 'builder' },
      ],
    }) as any;
    expect(rb.roleRef.apiGroup).toBe(G);
    expect(rb.subjects[0].apiGroup).toBe(G);
    expect(rb.subjects[1].apiGroup).toBeUndefined();
    expect(validateObject(rb)).toEqual([]);

    const crb = obj({
      apiVersion: V,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'crb' },
      roleRef: { apiGroup: G, kind: 'Role', name: '' },
      subjects: [
        { kind: 'ServiceAccount', name: 'sa' },
        { kind: 'Robot', name: 'r2' },
      ],
    });
    expect(fields(validateObject(crb))).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].namespace: Required value',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
  });

  it('rejects an update that changes roleRef', () => {
    const old = obj({
      apiVersion: V,
      kind: 'RoleBinding',
      metadata: { name: 'rb', namespace: 'default' },
      roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'view' },
    });
    const changed = obj({ ...old, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'edit' } });
    const sameRef = obj({ ...old, subjects: [{ kind: 'Group', name: 'devs' }] });
    expect(fields(validateObject(changed, old))).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    ]);
    expect(validateObject(sameRef, old)).toEqual([]);
  });
});
