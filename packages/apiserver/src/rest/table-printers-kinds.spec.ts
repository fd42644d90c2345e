import { columnDefinitions, tableRow } from './table-printers';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' });
const cells = (resource: string, o: object) =>
  (tableRow(resource, o as never, 'None', NOW) as { cells: unknown[] }).cells;
const names = (resource: string) =>
  columnDefinitions(resource).map((c) => `${c.name}${c.priority ? '*' : ''}`);

describe('table printers of rbac, policy and networking kinds', () => {
  it('prints roles with the default convertor columns', () => {
    expect(names('clusterroles')).toEqual(['Name', 'Created At']);
    expect(columnDefinitions('roles')[1].type).toBe('date');
    expect(cells('roles', { metadata: meta('r') })).toEqual(['r', '2026-01-01T00:00:00Z']);
  });

  it('prints bindings with role and subjects', () => {
    expect(names('rolebindings')).toEqual(['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
    const rb = {
      metadata: meta('rb'),
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'a' },
        { kind: 'User', name: 'b' },
        { kind: 'Group', name: 'g' },
        { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' },
        { kind: 'ServiceAccount', name: 'local' },
      ],
    };
    expect(cells('clusterrolebindings', rb)).toEqual([
      'rb',
      'ClusterRole/view',
      '60m',
      'a, b',
      'g',
      'ns:sa, local',
    ]);
  });

  it('prints PodDisruptionBudgets', () => {
    expect(names('poddisruptionbudgets')).toEqual([
      'Name',
      'Min Available',
      'Max Unavailable',
      'Allowed Disruptions',
      'Age',
    ]);
    expect(cells('poddisruptionbudgets', { metadata: meta('p'), spec: { maxUnavailable: '25%' } })).toEqual([
      'p',
      'N/A',
      '25%',
      0,
      '60m',
    ]);
    expect(
      cells('poddisruptionbudgets', {
        metadata: meta('p'),
        spec: { minAvailable: 2 },
        status: { disruptionsAllowed: 1 },
      }),
    ).toEqual(['p', '2', 'N/A', 1, '60m']);
  });

  it('prints Ingresses, IngressClasses and NetworkPolicies', () => {
    const ing = {
      metadata: meta('i'),
      spec: { rules: [{ host: 'a.example.com' }, {}, { host: 'c' }, { host: 'd' }] },
      status: { loadBalancer: { ingress: [{ ip: '192.168.100.100' }, { hostname: 'lb.example.com' }] } },
    };
    expect(cells('ingresses', ing)).toEqual([
      'i',
      '<none>',
      'a.example.com,*,c + 1 more...',
      '192.168.100.1...',
      '80',
      '60m',
    ]);
    expect(
      cells('ingresses', { metadata: meta('j'), spec: { ingressClassName: 'nginx', tls: [{}] } }),
    ).toEqual(['j', 'nginx', '*', '', '80, 443', '60m']);
    expect(
      cells('ingressclasses', {
        metadata: meta('c'),
        spec: {
          controller: 'example.com/c',
          parameters: { apiGroup: 'k8s.example.com', kind: 'Params', name: 'p' },
        },
      }),
    ).toEqual(['c', 'example.com/c', 'Params.k8s.example.com/p', '60m']);
    expect(cells('networkpolicies', { metadata: meta('n'), spec: { podSelector: {} } })).toEqual([
      'n',
      '<none>',
      '60m',
    ]);
    expect(
      cells('networkpolicies', {
        metadata: meta('n'),
        spec: { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } },
      }),
    ).toEqual(['n', 'tier in (a,b)', '60m']);
  });

  it('prints ResourceQuotas, LimitRanges and HorizontalPodAutoscalers', () => {
    expect(names('resourcequotas')).toEqual(['Name', 'Age', 'Request', 'Limit']);
    expect(
      cells('resourcequotas', {
        metadata: meta('q'),
        spec: { hard: { pods: '10' } },
        status: { hard: { pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' }, used: { pods: '3' } },
      }),
    ).toEqual(['q', '60m', 'pods: 3/10, requests.memory: 0/1Gi', 'limits.cpu: 0/2']);
    expect(names('limitranges')).toEqual(['Name', 'Created At']);
    expect(names('horizontalpodautoscalers')).toEqual([
      'Name',
      'Reference',
      'Targets',
      'MinPods',
      'MaxPods',
      'Replicas',
      'Age',
    ]);
    const hpa = {
      metadata: meta('h'),
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 5,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
          },
          {
            type: 'Pods',
            pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1' } },
          },
        ],
      },
      status: {
        currentReplicas: 2,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12 } } },
        ],
      },
    };
    expect(cells('horizontalpodautoscalers', hpa)).toEqual([
      'h',
      'Deployment/web',
      'cpu: 12%/60%, memory: <unknown>/100Mi + 1 more...',
      '<unset>',
      '5',
      '2',
      '60m',
    ]);
  });
});
