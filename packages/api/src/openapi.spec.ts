import { openAPIDefinitionName, openAPIV2Definitions, openAPIV3Schemas } from './openapi';

describe('OpenAPI rendering', () => {
  it('names definitions like Kubernetes and carries patch metadata', () => {
    expect(openAPIDefinitionName('PodSpec')).toBe('io.k8s.api.core.v1.PodSpec');
    expect(openAPIDefinitionName('ObjectMeta')).toBe('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(openAPIDefinitionName('Deployment')).toBe('io.k8s.api.apps.v1.Deployment');
    expect(openAPIDefinitionName('Lease')).toBe('io.k8s.api.coordination.v1.Lease');
    const v3 = openAPIV3Schemas();
    const spec = v3['io.k8s.api.core.v1.PodSpec'] as any;
    expect(spec.required).toEqual(['containers']);
    expect(spec.properties.containers).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' },
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect((v3['io.k8s.api.apps.v1.Deployment'] as any)['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect((v3['io.k8s.api.core.v1.ServicePort'] as any).properties.targetPort).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    });
    const v2 = openAPIV2Definitions();
    expect((v2['io.k8s.api.core.v1.Container'] as any).properties.resources.$ref).toBe(
      '#/definitions/io.k8s.api.core.v1.ResourceRequirements',
    );
    // every $ref resolves
    const names = new Set(Object.keys(v2));
    const refs = JSON.stringify(v2).match(/#\/definitions\/[^"]+/g) ?? [];
    for (const r of refs) expect(names.has(r.slice('#/definitions/'.length))).toBe(true);
  });
});
