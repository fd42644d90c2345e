import { parse as parseYaml } from 'yaml';
import { defaultObject } from '../defaults';
import { invalidStatus } from '../status';
import { validateObject } from './validate';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
} from './names';
import type { KubeObject } from '../meta';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function pod(spec: object, name = 'p'): KubeObject {
  const o = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec } as KubeObject;
  defaultObject(o);
  return o;
}

describe('name validators (apimachinery messages)', () => {
  it('DNS-1123 label and subdomain', () => {
    expect(isDNS1123Label('my-name')).toEqual([]);
    expect(isDNS1123Label('My_Name')).toEqual([LABEL_MSG]);
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(isDNS1123Subdomain('example.com')).toEqual([]);
    expect(isDNS1123Subdomain('Example.com')).toEqual([SUBDOMAIN_MSG]);
  });
  it('qualified names and label values', () => {
    expect(isQualifiedName('app.kubernetes.io/name')).toEqual([]);
    expect(isQualifiedName('/name')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of/);
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('-x')[0]).toMatch(
      /^a valid label must be an empty string or consist of alphanumeric characters/,
    );
  });
});

describe('IP, port and env name validators', () => {
  it.each([
    ['10.9.8.7', true],
    ['255.255.255.255', true],
    ['256.1.1.1', false],
    ['01.2.3.4', false],
    ['::1', true],
    ['2001:db8::ffff', true],
    ['::ffff:10.0.0.1', true],
    ['1:2:3:4:5:6:7:8', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['12345::', false],
    ['fe80::1%eth0', false],
    ['', false],
  ])('isValidIP(%j) → %s', (ip, ok) => {
    expect(isValidIP(ip).length === 0).toBe(ok);
  });

  it('ports and env names', () => {
    expect(isValidPortNum(0)).toEqual(['must be between 1 and 65535, inclusive']);
    expect(isValidPortName('http')).toEqual([]);
    expect(isValidPortName('http--x')).toEqual(['must not contain consecutive hyphens']);
    expect(isValidPortName('123')).toEqual(['must contain at least one letter (a-z)']);
    expect(isValidPortName('a-very-long-port-name')).toEqual(['must be no more than 15 characters']);
    expect(isEnvVarName('MY_VAR')).toEqual([]);
    expect(isEnvVarName('1VAR')[0]).toMatch(/^a valid environment variable name must consist of/);
    expect(isRelaxedEnvVarName('1VAR')).toEqual([]);
    expect(isRelaxedEnvVarName('A=B')).toEqual([
      "a valid environment variable name must consist only of printable ASCII characters other than '='",
    ]);
    expect(
      validateObject(
        pod({ containers: [{ name: 'c', image: 'x', env: [{ name: '1VAR', value: 'x' }, { name: '' }] }] }),
      ),
    ).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.containers[0].env[1].name', message: 'Required value' },
    ]);
  });
});

describe('validateObject', () => {
  it('accepts the defaulted docs Deployment', () => {
    const d = parseYaml(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx-deployment, namespace: default, labels: {app: nginx}}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.14.2", ports: [{containerPort: 80}]}]
`);
    defaultObject(d);
    expect(validateObject(d)).toEqual([]);
  });

  it('requires container images, with the upstream cause', () => {
    const causes = validateObject(pod({ containers: [{ name: 'c' }] }));
    expect(causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
    ]);
    const st = invalidStatus('Pod', 'p', causes);
    expect(st.message).toBe('Pod "p" is invalid: spec.containers[0].image: Required value');
    expect(st.code).toBe(422);
    expect(st.reason).toBe('Invalid');
  });

  it('validates metadata.name, namespace and labels', () => {
    const o = pod({ containers: [{ name: 'c', image: 'x' }] }, 'Bad_Name');
    o.metadata.labels = { 'a b': 'c' };
    delete o.metadata.namespace;
    const causes = validateObject(o);
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`,
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueRequired',
      field: 'metadata.namespace',
      message: 'Required value',
    });
    expect(
      causes.some(
        (c) =>
          c.field === 'metadata.labels' &&
          c.message!.startsWith('Invalid value: "a b": name part must consist'),
      ),
    ).toBe(true);
    expect(validateObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })).toContainEqual({
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    });
    expect(
      validateObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'web-', namespace: 'd' },
      }),
    ).toEqual([]);
    expect(
      validateObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { generateName: 'Web-', namespace: 'd' },
      })[0],
    ).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.generateName' });
    expect(
      validateObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: 'x' } }),
    ).toContainEqual({
      reason: 'FieldValueForbidden',
      field: 'metadata.namespace',
      message: 'Forbidden: not allowed on this type',
    });
  });

  it('reports unsupported values, duplicates and missing volumes', () => {
    const o = pod({
      restartPolicy: 'Sometimes',
      containers: [
        {
          name: 'c',
          image: 'x',
          volumeMounts: [{ name: 'data', mountPath: '/d' }],
          ports: [{ containerPort: 70000 }],
        },
        { name: 'c', image: 'y' },
      ],
    });
    const causes = validateObject(o);
    expect(causes).toContainEqual({
      reason: 'FieldValueNotSupported',
      field: 'spec.restartPolicy',
      message: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueDuplicate',
      field: 'spec.containers[1].name',
      message: 'Duplicate value: "c"',
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueNotFound',
      field: 'spec.containers[0].volumeMounts[0].name',
      message: 'Not found: "data"',
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.containers[0].ports[0].containerPort',
      message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
    });
    const st = invalidStatus('Pod', 'p', causes);
    expect(st.message!.startsWith('Pod "p" is invalid: [spec.')).toBe(true);
  });

  it('checks requests against limits and tolerations', () => {
    const causes = validateObject(
      pod({
        containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }],
        tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }],
      }),
    );
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.containers[0].resources.requests',
      message: 'Invalid value: "2": must be less than or equal to cpu limit of 1',
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.tolerations[0].operator',
      message:
        'Invalid value: map[string]string{"key":"k", "operator":"Exists", "value":"v"}: value must be empty when `operator` is \'Exists\'',
    });
  });

  it('enforces pod spec immutability except images, activeDeadlineSeconds and toleration additions', () => {
    const old = pod({ containers: [{ name: 'c', image: 'x:1' }] });
    const ok = JSON.parse(JSON.stringify(old));
    ok.spec.containers[0].image = 'x:2';
    ok.spec.activeDeadlineSeconds = 60;
    ok.spec.tolerations.push({ key: 'a', operator: 'Exists', effect: 'NoSchedule' });
    ok.metadata.labels = { changed: 'yes' };
    expect(validateObject(ok, old)).toEqual([]);
    const bound = JSON.parse(JSON.stringify(old));
    bound.spec.nodeName = 'node-1';
    expect(validateObject(bound, old)).toEqual([]);
    const rebound = JSON.parse(JSON.stringify(bound));
    rebound.spec.nodeName = 'node-2';
    expect(validateObject(rebound, bound)[0].field).toBe('spec');
    const bad = JSON.parse(JSON.stringify(old));
    bad.spec.restartPolicy = 'Never';
    const causes = validateObject(bad, old);
    expect(causes).toHaveLength(1);
    expect(causes[0].reason).toBe('FieldValueForbidden');
    expect(causes[0].field).toBe('spec');
    expect(causes[0].message).toMatch(
      /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
    );
    expect(causes[0].message).toContain('spec.restartPolicy');
  });

  it('validates deployments: selector, template labels, strategy, immutable selector', () => {
    const d = parseYaml(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: default}
spec:
  selector: {matchLabels: {app: a}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: x}]}
`);
    defaultObject(d);
    const causes = validateObject(d);
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      message: 'Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
    });
    expect(causes).toContainEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.strategy.rollingUpdate.maxUnavailable',
      message: 'Invalid value: 0: may not be 0 when `maxSurge` is 0',
    });
    const good = JSON.parse(JSON.stringify(d));
    good.spec.template.metadata.labels.app = 'a';
    good.spec.strategy.rollingUpdate.maxSurge = 1;
    expect(validateObject(good)).toEqual([]);
    const same = JSON.parse(JSON.stringify(good));
    same.spec.selector.matchExpressions = []; // empty == unset, as Semantic.DeepEqual
    expect(validateObject(same, good)).toEqual([]);
    const moved = JSON.parse(JSON.stringify(good));
    moved.spec.selector.matchLabels.app = 'z';
    moved.spec.template.metadata.labels.app = 'z';
    expect(validateObject(moved, good)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.selector',
        message: 'Invalid value: {"matchLabels":{"app":"z"}}: field is immutable',
      },
    ]);
  });

  it('validates services and the clusterIP on update', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ port: 80 }, { port: 443 }] },
    } as KubeObject;
    defaultObject(svc);
    expect(validateObject(svc)).toContainEqual({
      reason: 'FieldValueRequired',
      field: 'spec.ports[0].name',
      message: 'Required value',
    });
    const one = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] },
    } as KubeObject;
    defaultObject(one);
    expect(validateObject(one)).toEqual([]);
    const moved = JSON.parse(JSON.stringify(one));
    moved.spec.clusterIP = '10.96.0.11';
    expect(validateObject(moved, one)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIP',
        message: 'Invalid value: "10.96.0.11": field is immutable',
      },
    ]);
    const bad = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '1web', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    } as KubeObject;
    defaultObject(bad);
    expect(validateObject(bad).map((c) => c.field)).toEqual(['metadata.name']);
  });

  it('validates jobs and configmaps', () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', namespace: 'default', uid: 'u' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
    } as KubeObject;
    defaultObject(job);
    expect(validateObject(job)).toContainEqual({
      reason: 'FieldValueNotSupported',
      field: 'spec.template.spec.restartPolicy',
      message: 'Unsupported value: "Always": supported values: "Never", "OnFailure"',
    });
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { 'bad key': 'v' },
    } as KubeObject;
    expect(validateObject(cm)[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'data[bad key]' });
    const imm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      immutable: true,
      data: { a: '1' },
    } as KubeObject;
    const changed = { ...imm, data: { a: '2' } } as KubeObject;
    expect(validateObject(changed, imm)).toEqual([
      {
        reason: 'FieldValueForbidden',
        field: 'data',
        message: 'Forbidden: field is immutable when `immutable` is set',
      },
    ]);
  });

  it('validates bindings, leases and endpoint slices', () => {
    expect(
      validateObject({
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'p' },
        target: { kind: 'Node' },
      } as KubeObject),
    ).toEqual([{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    expect(
      validateObject({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'n1', namespace: 'kube-node-lease' },
        spec: { leaseDurationSeconds: 0 },
      } as KubeObject),
    ).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.leaseDurationSeconds',
        message: 'Invalid value: 0: must be greater than 0',
      },
    ]);
    const es = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'default' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }, { addresses: ['nope'] }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    } as KubeObject;
    expect(validateObject(es).map((c) => c.field)).toEqual(['endpoints[1].addresses[0]']);
  });

  it('returns the schema type errors alone when the object is not well-typed', () => {
    const o = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 5 }] },
    } as unknown as KubeObject;
    defaultObject(o);
    expect((o as any).spec.restartPolicy).toBeUndefined(); // not defaulted
    expect(validateObject(o)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.containers[0].image',
        message:
          'Invalid value: "integer": spec.containers[0].image in body must be of type string: "integer"',
      },
    ]);
  });

  it('validates topology spread constraints like upstream', () => {
    const causes = validateObject(
      pod({
        containers: [{ name: 'c', image: 'x' }],
        topologySpreadConstraints: [
          { maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
      }),
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.topologySpreadConstraints[0].maxSkew',
        message: 'Invalid value: 0: must be greater than zero',
      },
      {
        reason: 'FieldValueDuplicate',
        field: 'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}',
        message: 'Duplicate value: "{zone, DoNotSchedule}"',
      },
    ]);
  });

  it('validates statefulsets as apps validation does (template pod spec may mount claim templates)', () => {
    // The StatefulSet example of the Kubernetes docs ("StatefulSet Basics", web.yaml).
    const ss = parseYaml(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.21
        ports: [{containerPort: 80, name: web}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
    defaultObject(ss);
    expect(ss.spec.podManagementPolicy).toBe('OrderedReady');
    expect(validateObject(ss)).toEqual([]);
    const scaled = JSON.parse(JSON.stringify(ss));
    scaled.spec.replicas = 5;
    expect(validateObject(scaled, ss)).toEqual([]);
    const renamed = JSON.parse(JSON.stringify(ss));
    renamed.spec.serviceName = 'other';
    expect(validateObject(renamed, ss)[0]).toMatchObject({ reason: 'FieldValueForbidden', field: 'spec' });
    const bad = JSON.parse(JSON.stringify(ss));
    bad.metadata.name = 'web.v1';
    bad.spec.podManagementPolicy = 'Sometimes';
    expect(validateObject(bad)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: 'Invalid value: "web.v1": must not contain dots',
      },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.podManagementPolicy',
        message: "Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'",
      },
    ]);
  });

  it('validates daemonset rolling updates (exactly one of maxUnavailable/maxSurge)', () => {
    const ds = parseYaml(`
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {name: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 1}}
  template:
    metadata: {labels: {name: agent}}
    spec: {containers: [{name: a, image: busybox}]}
`);
    defaultObject(ds);
    expect(validateObject(ds)).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.updateStrategy.rollingUpdate.maxSurge',
        message: 'Invalid value: 1: may not be set when maxUnavailable is non-zero',
      },
    ]);
    ds.spec.updateStrategy.rollingUpdate = { maxUnavailable: 0, maxSurge: 0 };
    expect(validateObject(ds)).toEqual([
      {
        reason: 'FieldValueRequired',
        field: 'spec.updateStrategy.rollingUpdate.maxUnavailable',
        message: 'Required value: cannot be 0 when maxSurge is 0',
      },
    ]);
  });
});
