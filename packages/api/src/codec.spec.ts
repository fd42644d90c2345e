import { parse as parseYaml } from 'yaml';
import {
  canonicalizeQuantities,
  canonicalizeTimes,
  checkSchema,
  decodeObject,
  encodeObject,
  goDecodeError,
  pruneUnknownFields,
  strictDecodingError,
  unknownFieldWarnings,
  unknownFields,
} from './codec';
import { DecodeError } from './errors';
import { patchMeta, fieldSchemaAt } from './schema/index';

// The example manifest of the Kubernetes docs, "Deployments" (controllers/nginx-deployment.yaml).
const nginxDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`;

describe('decodeObject / encodeObject', () => {
  it('round-trips the docs Deployment manifest with no findings', () => {
    const json = JSON.stringify(parseYaml(nginxDeployment));
    const d = decodeObject(json);
    expect(d.unknownFields).toEqual([]);
    expect(d.invalid).toEqual([]);
    const out = encodeObject(d.object);
    expect(JSON.parse(out)).toEqual(JSON.parse(json));
    // Kubernetes order: kind, apiVersion, metadata, spec.
    expect(Object.keys(JSON.parse(out))).toEqual(['kind', 'apiVersion', 'metadata', 'spec']);
    expect(decodeObject(new TextEncoder().encode(out)).object).toEqual(d.object);
  });

  it('reports unknown fields as paths, never dropping them silently', () => {
    const obj = parseYaml(nginxDeployment);
    obj.spec.template.spec.containers[0].imagee = 'typo';
    obj.spec.replica = 2;
    obj.metadata.lables = { a: 'b' };
    const d = decodeObject(JSON.stringify(obj));
    expect(d.unknownFields.sort()).toEqual([
      'metadata.lables',
      'spec.replica',
      'spec.template.spec.containers[0].imagee',
    ]);
    expect((d.object as any).spec.replica).toBe(2);
    const pruned = pruneUnknownFields(d.object) as any;
    expect(pruned.spec.replica).toBeUndefined();
    expect(pruned.spec.template.spec.containers[0].imagee).toBeUndefined();
    expect(pruned.spec.template.spec.containers[0].image).toBe('nginx:1.14.2');
    expect(unknownFields(obj, 'apps/v1', 'Deployment')).toHaveLength(3);
    expect(strictDecodingError('apps/v1', 'Deployment', ['spec.replica'])).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"',
    );
    expect(unknownFieldWarnings(['a.b', 'c'])).toEqual(['unknown field "a.b"', 'unknown field "c"']);
  });

  it('reports type mismatches as FieldValueInvalid causes', () => {
    const obj = parseYaml(nginxDeployment);
    obj.spec.replicas = '3';
    obj.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    obj.spec.template.spec.containers[0].resources = { limits: { cpu: 'lots' } };
    const r = checkSchema(obj);
    expect(r.unknown).toEqual([]);
    expect(r.invalid.map((c) => c.field)).toEqual([
      'spec.replicas',
      'spec.template.spec.containers[0].ports[0].containerPort',
      'spec.template.spec.containers[0].resources.limits[cpu]',
    ]);
    expect(r.invalid[0]).toEqual({
      reason: 'FieldValueInvalid',
      field: 'spec.replicas',
      message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    });
  });

  it('renders the first type error as the Kubernetes JSON decoder does', () => {
    const obj = parseYaml(nginxDeployment);
    expect(goDecodeError(obj)).toBeUndefined();
    obj.spec.replicas = '3';
    expect(goDecodeError(obj)).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    obj.spec.replicas = 3;
    obj.spec.template.spec.containers[0].image = 5;
    expect(goDecodeError(obj)).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
    );
    obj.spec.template.spec.containers[0].image = 'nginx';
    obj.spec.template.spec.containers[0].ports = { containerPort: 80 };
    expect(goDecodeError(obj)).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal object into Go struct field Container.spec.template.spec.containers.ports of type []v1.ContainerPort',
    );
  });

  it('accepts IntOrString as number or string and null as omitted', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', annotations: null },
      spec: {
        ports: [
          { port: 80, targetPort: 'http' },
          { port: 81, targetPort: 8081 },
        ],
        selector: { app: 'x' },
      },
    };
    expect(checkSchema(svc)).toEqual({ unknown: [], invalid: [] });
    expect(encodeObject(svc)).toBe(
      '{"kind":"Service","apiVersion":"v1","metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":"http"},{"port":81,"targetPort":8081}],"selector":{"app":"x"}}}',
    );
    expect(checkSchema({ ...svc, spec: { ports: [{ port: 80, targetPort: true }] } }).invalid[0].field).toBe(
      'spec.ports[0].targetPort',
    );
  });

  it('writes Quantity fields in canonical form, as Kubernetes stores them', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'c', resources: { limits: { cpu: 0.5, memory: '1.5Gi' }, requests: { cpu: '1000m' } } },
        ],
      },
    };
    expect(JSON.parse(encodeObject(pod)).spec.containers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '1536Mi' },
      requests: { cpu: '1' },
    });
    expect(pod.spec.containers[0].resources.limits.cpu).toBe(0.5); // encode does not mutate
    canonicalizeQuantities(pod);
    expect(pod.spec.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '1536Mi' });
  });

  it('writes Time as UTC seconds and MicroTime with six fractional digits', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n1', creationTimestamp: '2024-05-01T14:00:00.789+02:00' },
      spec: {
        holderIdentity: 'n1',
        renewTime: '2024-05-01T12:00:01.5Z',
        acquireTime: '2024-05-01T12:00:00.123456Z',
      },
    };
    const wire = JSON.parse(encodeObject(lease));
    expect(wire.metadata.creationTimestamp).toBe('2024-05-01T12:00:00Z');
    expect(wire.spec.renewTime).toBe('2024-05-01T12:00:01.500000Z');
    expect(wire.spec.acquireTime).toBe('2024-05-01T12:00:00.123456Z');
    canonicalizeTimes(lease);
    expect(lease.metadata.creationTimestamp).toBe('2024-05-01T12:00:00Z');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'not a time' }] },
    };
    expect(JSON.parse(encodeObject(pod)).status.conditions[0].lastTransitionTime).toBe('not a time');
  });

  it('encodes Dates as RFC 3339 seconds', () => {
    const cm = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'c', creationTimestamp: new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 456)) },
    };
    expect(JSON.parse(encodeObject(cm)).metadata.creationTimestamp).toBe('2024-05-01T12:00:00Z');
  });

  it('rejects bodies without kind or apiVersion, and non-JSON', () => {
    expect(() => decodeObject('{"apiVersion":"v1"}')).toThrow(DecodeError);
    expect(() => decodeObject('{"kind":"Pod"}')).toThrow("Object 'apiVersion' is missing");
    expect(() => decodeObject('not json')).toThrow(/json parse error/);
    expect(() => decodeObject('[]')).toThrow(DecodeError);
  });
});

describe('patchMeta', () => {
  it('carries the strategic merge patch keys of k8s.io/api', () => {
    expect(patchMeta.PodSpec.containers).toEqual({ patchMergeKey: 'name', patchStrategy: 'merge' });
    expect(patchMeta.PodSpec.volumes).toEqual({ patchMergeKey: 'name', patchStrategy: 'merge,retainKeys' });
    expect(patchMeta.Container.ports).toEqual({ patchMergeKey: 'containerPort', patchStrategy: 'merge' });
    expect(patchMeta.Container.env.patchMergeKey).toBe('name');
    expect(patchMeta.Container.volumeMounts.patchMergeKey).toBe('mountPath');
    expect(patchMeta.PodStatus.conditions.patchMergeKey).toBe('type');
    expect(patchMeta.ObjectMeta.finalizers).toEqual({ patchStrategy: 'merge' });
    expect(patchMeta.ObjectMeta.ownerReferences.patchMergeKey).toBe('uid');
    expect(patchMeta.ServiceSpec.ports.patchMergeKey).toBe('port');
    expect(patchMeta.PodSpec.tolerations).toBeUndefined();
  });

  it('finds nested field schemas by path', () => {
    expect(fieldSchemaAt('Deployment', ['spec', 'template', 'spec', 'containers'])?.patchMergeKey).toBe(
      'name',
    );
    expect(
      fieldSchemaAt('Deployment', ['spec', 'template', 'spec', 'containers', 'env'])?.patchMergeKey,
    ).toBe('name');
    expect(fieldSchemaAt('Deployment', ['spec', 'nope'])).toBeUndefined();
  });
});
