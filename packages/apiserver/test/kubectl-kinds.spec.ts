// The real kubectl applying and printing the kinds real-world manifests ship beside workloads:
// RBAC, PodDisruptionBudget, Ingress, NetworkPolicy (stored and validated, not enforced).
import { existsSync } from 'node:fs';
import { KUBECTL, startTestServer, type TestServer } from './helpers';

const MANIFEST = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: default
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: app:reader
rules:
- apiGroups: [""]
  resources: ["pods", "services"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: app-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: app:reader
subjects:
- kind: ServiceAccount
  name: app
  namespace: default
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: cm-editor
  namespace: default
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: cm-editor
  namespace: default
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: cm-editor
subjects:
- kind: ServiceAccount
  name: app
- kind: User
  name: jane
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: default
spec:
  ingressClassName: nginx
  tls:
  - hosts: [web.example.com]
    secretName: web-tls
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-allow
  namespace: default
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - port: 80
`;

const PDB_APP = `apiVersion: v1
kind: Node
metadata:
  name: kinds-node
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: default
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: web
${[1, 2]
  .map(
    (i) => `---
apiVersion: v1
kind: Pod
metadata:
  name: web-${i}
  namespace: default
  labels:
    app: web
spec:
  nodeName: kinds-node
  containers:
  - name: c
    image: busybox
`,
  )
  .join('')}`;

const READY = JSON.stringify({
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  },
});

const suite = existsSync(KUBECTL) ? describe : describe.skip;
if (!existsSync(KUBECTL)) console.log(`skipped: ${KUBECTL} not installed`);

const header = (out: string) => out.split('\n')[0].split(/\s{2,}/);
const row = (out: string, name: string) =>
  out
    .split('\n')
    .find((l) => l.startsWith(`${name} `))
    ?.split(/\s{2,}/);

suite('kubectl with rbac, policy and networking kinds', () => {
  let t: TestServer;
  const ok = async (args: string[], stdin?: string) => {
    const r = await t.kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists the kinds in api-resources as upstream', async () => {
    const res = await ok(['api-resources', '--no-headers']);
    expect(res).toMatch(/^clusterroles\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRole$/m);
    expect(res).toMatch(/^rolebindings\s+rbac\.authorization\.k8s\.io\/v1\s+true\s+RoleBinding$/m);
    for (const line of [
      /^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget$/m,
      /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m,
      /^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass$/m,
      /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m,
      /^resourcequotas\s+quota\s+v1\s+true\s+ResourceQuota$/m,
      /^limitranges\s+limits\s+v1\s+true\s+LimitRange$/m,
      /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m,
    ])
      expect(res).toMatch(line);
  });

  it('has the bootstrap ClusterRoles', async () => {
    const out = await ok(['get', 'clusterroles']);
    expect(header(out)).toEqual(['NAME', 'CREATED AT']);
    for (const n of ['cluster-admin', 'admin', 'edit', 'view'])
      expect(row(out, n)?.[1]).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    const view = JSON.parse(await ok(['get', 'clusterrole', 'view', '-o', 'json']));
    expect(view.aggregationRule.clusterRoleSelectors[0].matchLabels).toEqual({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    });
    expect(view.rules.length).toBeGreaterThan(0);
  });

  it('applies a manifest of RBAC objects and prints them', async () => {
    const out = await ok(['apply', '-f', t.writeFile('app.yaml', MANIFEST)]);
    for (const x of [
      'serviceaccount/app created',
      'clusterrole.rbac.authorization.k8s.io/app:reader created',
      'clusterrolebinding.rbac.authorization.k8s.io/app-reader created',
      'role.rbac.authorization.k8s.io/cm-editor created',
      'rolebinding.rbac.authorization.k8s.io/cm-editor created',
      'ingressclass.networking.k8s.io/nginx created',
      'ingress.networking.k8s.io/web created',
      'networkpolicy.networking.k8s.io/web-allow created',
    ])
      expect(out).toContain(x);
    // apply again: unchanged (a binding whose subjects were defaulted reports "configured", as upstream's)
    expect(await ok(['apply', '-f', t.writeFile('app.yaml', MANIFEST)])).toContain(
      'clusterrolebinding.rbac.authorization.k8s.io/app-reader unchanged',
    );
    const roles = await ok(['get', 'roles']);
    expect(header(roles)).toEqual(['NAME', 'CREATED AT']);
    const rb = await ok(['get', 'rolebindings', '-o', 'wide']);
    expect(header(rb)).toEqual(['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    expect(row(rb, 'cm-editor')?.slice(0, 2)).toEqual(['cm-editor', 'Role/cm-editor']);
    expect(row(rb, 'cm-editor')?.[3]).toBe('jane');
    const crb = await ok(['get', 'clusterrolebindings', '-o', 'wide']);
    expect(header(crb)).toEqual(['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    expect(row(crb, 'app-reader')?.[1]).toBe('ClusterRole/app:reader');
    expect(row(crb, 'app-reader')?.[3]).toBe('default:app');
    expect(row(crb, 'cluster-admin')?.[3]).toBe('system:masters');
  });

  it('stores Ingress, IngressClass and NetworkPolicy with upstream columns and defaults', async () => {
    const ing = await ok(['get', 'ingress']);
    expect(header(ing)).toEqual(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    expect(row(ing, 'web')?.slice(0, 4)).toEqual(['web', 'nginx', 'web.example.com', '80, 443']);
    const cls = await ok(['get', 'ingressclass']);
    expect(header(cls)).toEqual(['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE']);
    expect(row(cls, 'nginx')?.slice(0, 3)).toEqual(['nginx', 'k8s.io/ingress-nginx', '<none>']);
    const np = await ok(['get', 'netpol']);
    expect(header(np)).toEqual(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(row(np, 'web-allow')?.slice(0, 2)).toEqual(['web-allow', 'app=web']);
    const spec = JSON.parse(await ok(['get', 'networkpolicy', 'web-allow', '-o', 'json'])).spec;
    expect(spec.policyTypes).toEqual(['Ingress']);
    expect(spec.ingress[0].ports[0]).toEqual({ port: 80, protocol: 'TCP' });
    expect(
      await ok([
        'create',
        'ingress',
        'simple',
        '--class=nginx',
        '--rule=foo.com/bar*=svc1:8080,tls=my-cert',
        '--default-backend=defsvc:http',
      ]),
    ).toContain('ingress.networking.k8s.io/simple created');
    const simple = JSON.parse(await ok(['get', 'ingress', 'simple', '-o', 'json'])).spec;
    expect(simple).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'defsvc', port: { name: 'http' } } },
      tls: [{ hosts: ['foo.com'], secretName: 'my-cert' }],
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [
              {
                path: '/bar',
                pathType: 'Prefix',
                backend: { service: { name: 'svc1', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
    });
    const bad = await t.kubectl(
      ['apply', '-f', '-'],
      MANIFEST.split('---\n')
        .find((d) => d.includes('kind: Ingress\n'))!
        .replace('pathType: Prefix', 'pathType: Regex'),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex"');
  });

  it('creates RBAC objects with kubectl create (protobuf bodies)', async () => {
    expect(await ok(['create', 'clusterrolebinding', 'x-view', '--clusterrole=view', '--user=x'])).toContain(
      'clusterrolebinding.rbac.authorization.k8s.io/x-view created',
    );
    expect(
      await ok(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', 'default']),
    ).toContain('role.rbac.authorization.k8s.io/pod-reader created');
    expect(
      await ok([
        'create',
        'rolebinding',
        'read-pods',
        '--role=pod-reader',
        '--serviceaccount=default:app',
        '--group=devs',
      ]),
    ).toContain('rolebinding.rbac.authorization.k8s.io/read-pods created');
    expect(
      await ok([
        'create',
        'clusterrole',
        'monitoring',
        '--aggregation-rule=example.com/aggregate-to-monitoring=true',
      ]),
    ).toContain('clusterrole.rbac.authorization.k8s.io/monitoring created');
    expect(JSON.parse(await ok(['get', 'clusterrole', 'monitoring', '-o', 'json'])).aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-monitoring': 'true' } }],
    });
    const crb = JSON.parse(await ok(['get', 'clusterrolebinding', 'x-view', '-o', 'json']));
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(crb.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'x' }]);
    const role = JSON.parse(await ok(['get', 'role', 'pod-reader', '-o', 'json']));
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    const rb = await ok(['get', 'rolebinding', 'read-pods', '-o', 'wide']);
    expect(row(rb, 'read-pods')?.slice(3)).toEqual(['devs', 'default:app']);
  });

  it('rejects a change of roleRef as upstream does', async () => {
    const r = await t.kubectl([
      'patch',
      'rolebinding',
      'read-pods',
      '--type=merge',
      '-p',
      '{"roleRef":{"kind":"ClusterRole","name":"edit"}}',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('roleRef: Invalid value');
    expect(r.stderr).toContain('cannot change roleRef');
  });

  it('stores PodDisruptionBudgets and refuses evictions that would violate them (429)', async () => {
    const out = await ok(['apply', '-f', t.writeFile('pdb.yaml', PDB_APP)]);
    expect(out).toContain('poddisruptionbudget.policy/web created');
    for (const p of ['web-1', 'web-2'])
      await ok(['patch', 'pod', p, '--subresource=status', '--type=merge', '-p', READY]);
    const eviction = (name: string) =>
      t.writeFile(
        `ev-${name}.json`,
        JSON.stringify({
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name, namespace: 'default' },
        }),
      );
    const r = await t.kubectl([
      'create',
      '--raw',
      '/api/v1/namespaces/default/pods/web-1/eviction',
      '-f',
      eviction('web-1'),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    const pdb = await ok(['get', 'pdb']);
    expect(header(pdb)).toEqual(['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    expect(row(pdb, 'web')?.slice(0, 4)).toEqual(['web', '2', 'N/A', '0']);
    const status = JSON.parse(await ok(['get', 'pdb', 'web', '-o', 'json'])).status;
    expect(status).toMatchObject({
      currentHealthy: 2,
      desiredHealthy: 2,
      expectedPods: 2,
      disruptionsAllowed: 0,
    });

    // kubectl drain evicts and retries on 429 until its timeout
    const drain = await t.kubectl(['drain', 'kinds-node', '--force', '--timeout=2s']);
    expect(drain.code).not.toBe(0);
    expect(drain.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(await ok(['get', 'pods', 'web-1', '-o', 'name'])).toContain('pod/web-1');

    // kubectl create pdb; a budget with room lets one eviction through and records it
    expect(
      await ok(['create', 'pdb', 'web', '--selector=app=web', '--max-unavailable=1', '-n', 'kube-system']),
    ).toContain('poddisruptionbudget.policy/web created');
    await ok(['patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
    expect(
      await ok([
        'create',
        '--raw',
        '/api/v1/namespaces/default/pods/web-1/eviction',
        '-f',
        eviction('web-1'),
      ]),
    ).toContain('Success');
    const after = JSON.parse(await ok(['get', 'pdb', 'web', '-o', 'json'])).status;
    expect(after.disruptionsAllowed).toBe(0);
    const again = await t.kubectl([
      'create',
      '--raw',
      '/api/v1/namespaces/default/pods/web-2/eviction',
      '-f',
      eviction('web-2'),
    ]);
    expect(again.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
  });

  it('applies LimitRange defaults to new pods and stores ResourceQuotas', async () => {
    await ok(['create', 'namespace', 'limited']);
    const lr = `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: limited
spec:
  limits:
  - type: Container
    default:
      cpu: 500m
      memory: 256Mi
    defaultRequest:
      cpu: 100m
`;
    expect(await ok(['apply', '-f', '-'], lr)).toContain('limitrange/defaults created');
    const stored = JSON.parse(await ok(['get', 'limits', 'defaults', '-n', 'limited', '-o', 'json']));
    // SetDefaults_LimitRangeItem: defaultRequest memory from default
    expect(stored.spec.limits[0].defaultRequest).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(header(await ok(['get', 'limitranges', '-n', 'limited']))).toEqual(['NAME', 'CREATED AT']);
    await ok(['run', 'p', '--image=busybox', '-n', 'limited']);
    const pod = JSON.parse(await ok(['get', 'pod', 'p', '-n', 'limited', '-o', 'json']));
    expect(pod.spec.containers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '256Mi' },
      requests: { cpu: '100m', memory: '256Mi' },
    });
    expect(pod.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container p; cpu, memory limit for container p',
    );

    expect(
      await ok(['create', 'quota', 'q', '--hard=pods=10,requests.cpu=2,limits.memory=1Gi', '-n', 'limited']),
    ).toContain('resourcequota/q created');
    const quota = await ok(['get', 'quota', '-n', 'limited']);
    expect(header(quota)).toEqual(['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    expect(row(quota, 'q')?.slice(2)).toEqual(['pods: 0/10, requests.cpu: 0/2', 'limits.memory: 0/1Gi']);
    const bad = await t.kubectl(['create', 'quota', 'bad', '--hard=pods=1.5', '-n', 'limited']);
    expect(bad.stderr).toContain('spec.hard[pods]: Invalid value: "1500m": must be an integer');
  });

  it('autoscales a Deployment (autoscaling/v1 from kubectl, stored and listed as autoscaling/v2)', async () => {
    await ok(['create', 'deployment', 'hpa-web', '--image=busybox', '--replicas=2']);
    expect(
      await ok(['autoscale', 'deployment', 'hpa-web', '--min=2', '--max=5', '--cpu-percent=60']),
    ).toContain('horizontalpodautoscaler.autoscaling/hpa-web autoscaled');
    const hpa = await ok(['get', 'hpa']);
    expect(header(hpa)).toEqual(['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    expect(row(hpa, 'hpa-web')?.slice(0, 6)).toEqual([
      'hpa-web',
      'Deployment/hpa-web',
      'cpu: <unknown>/60%',
      '2',
      '5',
      '0',
    ]);
    const v2 = JSON.parse(await ok(['get', 'hpa', 'hpa-web', '-o', 'json']));
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
      },
    ]);
    const v1 = JSON.parse(
      await ok(['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/hpa-web']),
    );
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hpa-web' },
      minReplicas: 2,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 60,
    });
    // an autoscaling/v1 manifest applies, and applies again with a change (strategic merge patch on the v1 view)
    const v1Manifest = (max: number) => `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: hpa-v1
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hpa-web}
  minReplicas: 1
  maxReplicas: ${max}
  targetCPUUtilizationPercentage: 70
`;
    expect(await ok(['apply', '-f', '-'], v1Manifest(3))).toContain(
      'horizontalpodautoscaler.autoscaling/hpa-v1 created',
    );
    expect(await ok(['apply', '-f', '-'], v1Manifest(4))).toContain(
      'horizontalpodautoscaler.autoscaling/hpa-v1 configured',
    );
    expect(JSON.parse(await ok(['get', 'hpa', 'hpa-v1', '-o', 'json'])).spec).toMatchObject({
      maxReplicas: 4,
      metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 70 } } }],
    });
    // a v1 patch changes the stored v2 object
    await ok([
      'patch',
      'horizontalpodautoscalers.v1.autoscaling',
      'hpa-web',
      '--type=merge',
      '-p',
      '{"spec":{"maxReplicas":7}}',
    ]);
    expect(JSON.parse(await ok(['get', 'hpa', 'hpa-web', '-o', 'json'])).spec.maxReplicas).toBe(7);
  });
});
