import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { ApiError } from '../errors';
import { decodeKubernetesProtobuf } from './protobuf';

/** Builds `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw} the way client-go does. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const tm = new BinaryWriter().uint32(10).string(apiVersion).uint32(18).string(kind).finish();
  const unknown = new BinaryWriter().uint32(10).bytes(tm).uint32(18).bytes(raw).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(unknown)]);
}

function entry(k: string, v: string): Uint8Array {
  return new BinaryWriter().uint32(10).string(k).uint32(18).string(v).finish();
}

it('decodes a ConfigMap the way kubectl create configmap sends it', () => {
  // ObjectMeta: name=1, namespace=3, generation=7 (0, gogo writes it), creationTimestamp=8 (zero time), labels=11
  const zeroTime = new BinaryWriter().uint32(8).int64(-62135596800).finish();
  const meta = new BinaryWriter()
    .uint32(10)
    .string('cfg')
    .uint32(18)
    .string('')
    .uint32(26)
    .string('default')
    .uint32(56)
    .int64(0)
    .uint32(66)
    .bytes(zeroTime)
    .uint32(90)
    .bytes(entry('app', 'x'))
    .finish();
  const cm = new BinaryWriter()
    .uint32(10)
    .bytes(meta)
    .uint32(18)
    .bytes(entry('color', 'blue'))
    .uint32(18)
    .bytes(entry('size', ''))
    .finish();
  expect(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', cm))).toEqual({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'default', labels: { app: 'x' } },
    data: { color: 'blue', size: '' },
  });
});

it('decodes IntOrString, quantities and nested lists of a Service', () => {
  const ios = new BinaryWriter().uint32(8).int64(0).uint32(16).int32(8080).finish();
  const port = new BinaryWriter()
    .uint32(10)
    .string('80-8080')
    .uint32(18)
    .string('TCP')
    .uint32(24)
    .int32(80)
    .uint32(34)
    .bytes(ios)
    .finish();
  const spec = new BinaryWriter()
    .uint32(10)
    .bytes(port)
    .uint32(18)
    .bytes(entry('app', 'web'))
    .uint32(34)
    .string('ClusterIP')
    .finish();
  const meta = new BinaryWriter().uint32(10).string('web').finish();
  const svc = new BinaryWriter()
    .uint32(10)
    .bytes(meta)
    .uint32(18)
    .bytes(spec)
    .uint32(26)
    .bytes(new Uint8Array())
    .finish();
  expect(decodeKubernetesProtobuf(envelope('v1', 'Service', svc))).toEqual({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
      selector: { app: 'web' },
      type: 'ClusterIP',
    },
    status: {},
  });
});

it('rejects bodies without the magic (400) and kinds it cannot decode (415)', () => {
  const code = (b: Buffer) => {
    try {
      decodeKubernetesProtobuf(b);
      return 0;
    } catch (e) {
      return (e as ApiError).code;
    }
  };
  expect(code(Buffer.from('{"json":true}'))).toBe(400);
  expect(code(envelope('v1', 'Node', new Uint8Array()))).toBe(415);
  expect(code(Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0xff, 0xff, 0xff])]))).toBe(400);
});
