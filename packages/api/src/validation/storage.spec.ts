import { defaultObject } from '../defaults';
import { validateObject } from './validate';

const pvc = (spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'default' },
  spec,
});
const fields = (causes: { field?: string; message?: string }[]) =>
  causes.map((c) => `${c.field}: ${c.message}`);

describe('storage validation and defaults', () => {
  it('a claim needs access modes and requests.storage', () => {
    expect(fields(validateObject(pvc({}) as never))).toEqual([
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
    expect(
      fields(
        validateObject(pvc({ accessModes: ['RWO'], resources: { requests: { storage: '0' } } }) as never),
      ),
    ).toEqual([
      'spec.accessModes: Unsupported value: "RWO": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      'spec.resources[storage]: Invalid value: "0": must be greater than zero',
    ]);
  });

  it('defaults volumeMode and phase; the spec is immutable except requests and a first volumeName', () => {
    const o = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    defaultObject(o as never);
    expect(o.spec).toMatchObject({ volumeMode: 'Filesystem' });
    expect((o as never as { status: unknown }).status).toEqual({ phase: 'Pending' });
    expect(validateObject(o as never)).toEqual([]);
    const bound = JSON.parse(JSON.stringify(o));
    bound.spec.volumeName = 'pv-1';
    bound.spec.resources.requests.storage = '2Gi';
    expect(validateObject(bound, o as never)).toEqual([]);
    const reordered = { ...bound, spec: Object.fromEntries(Object.entries(bound.spec).reverse()) };
    expect(validateObject(reordered, bound)).toEqual([]);
    const changed = JSON.parse(JSON.stringify(bound));
    changed.spec.accessModes = ['ReadWriteMany'];
    expect(fields(validateObject(changed, bound))).toEqual([
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
  });

  it('a volume needs capacity, access modes, one source; local needs node affinity; Retain by default', () => {
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-1' },
      spec: { local: { path: '/x' } },
    };
    expect(fields(validateObject(pv as never))).toEqual([
      'spec.accessModes: Required value: must specify at least 1 access mode',
      'spec.capacity: Required value',
      'spec.nodeAffinity: Required value: Local volume requires node affinity',
    ]);
    const ok = {
      ...pv,
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' } },
    };
    defaultObject(ok as never);
    expect(ok.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(validateObject(ok as never)).toEqual([]);
  });

  it('StorageClass: provisioner required, Delete/Immediate defaults, parameters immutable', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' } };
    expect(fields(validateObject(sc as never))).toEqual(['provisioner: Required value']);
    const ok = { ...sc, provisioner: 'rancher.io/local-path' };
    defaultObject(ok as never);
    expect(ok).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(fields(validateObject({ ...ok, parameters: { a: 'b' } } as never, ok as never))).toEqual([
      'parameters: Forbidden: updates to parameters are forbidden.',
    ]);
  });
});
