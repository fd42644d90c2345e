import type { KubeObject, PersistentVolumeClaim } from '@keelson/api';
import { accessModesString, storagePrinters } from '../../rest/storage-printers';
import { admitDefaultStorageClass, admitStorageProtection } from './storage';

const sc = (name: string, isDefault: boolean, created: string): KubeObject =>
  ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      creationTimestamp: created,
      annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {},
    },
    provisioner: 'rancher.io/local-path',
  }) as KubeObject;
const claim = (storageClassName?: string): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c', namespace: 'default' },
  spec: storageClassName === undefined ? {} : { storageClassName },
});

describe('DefaultStorageClass admission', () => {
  const classes = [
    sc('slow', false, '2026-01-03T00:00:00Z'),
    sc('old-default', true, '2026-01-01T00:00:00Z'),
    sc('local-path', true, '2026-01-02T00:00:00Z'),
  ];
  it('gives a claim without a class the newest default class', () => {
    const c = claim();
    admitDefaultStorageClass(c, classes);
    expect(c.spec!.storageClassName).toBe('local-path');
  });
  it('leaves "" and named classes alone, and claims when no default exists', () => {
    const empty = claim('');
    admitDefaultStorageClass(empty, classes);
    expect(empty.spec!.storageClassName).toBe('');
    const named = claim('slow');
    admitDefaultStorageClass(named, classes);
    expect(named.spec!.storageClassName).toBe('slow');
    const none = claim();
    admitDefaultStorageClass(none, [classes[0]!]);
    expect(none.spec!.storageClassName).toBeUndefined();
  });
});

describe('storage printers', () => {
  const age = () => '5m';
  it('prints a bound claim and the default class as kubectl does', () => {
    expect(accessModesString(['ReadWriteOncePod', 'ReadWriteOnce', 'ReadOnlyMany'])).toBe('RWO,ROX,RWOP');
    const pvc = {
      metadata: { name: 'data-db-0' },
      spec: { volumeName: 'pvc-1', storageClassName: 'local-path', volumeMode: 'Filesystem' },
      status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
    };
    expect(storagePrinters.persistentvolumeclaims!.row(pvc, 0, age)).toEqual([
      'data-db-0',
      'Bound',
      'pvc-1',
      '1Gi',
      'RWO',
      'local-path',
      '<unset>',
      '5m',
      'Filesystem',
    ]);
    expect(storagePrinters.storageclasses!.row(classes()[0], 0, age)).toEqual([
      'local-path (default)',
      'rancher.io/local-path',
      'Delete',
      'WaitForFirstConsumer',
      false,
      '5m',
    ]);
  });
  const classes = () => [
    {
      ...sc('local-path', true, '2026-01-02T00:00:00Z'),
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
  ];
});

describe('StorageObjectInUseProtection admission', () => {
  it('adds the protection finalizer once to claims and volumes only', () => {
    const c = claim();
    c.metadata.finalizers = ['a'];
    admitStorageProtection('persistentvolumeclaims', c);
    admitStorageProtection('persistentvolumeclaims', c);
    expect(c.metadata.finalizers).toEqual(['a', 'kubernetes.io/pvc-protection']);
    const pv = { metadata: { name: 'pv' } } as KubeObject;
    admitStorageProtection('persistentvolumes', pv);
    expect(pv.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
    const pod = { metadata: { name: 'p' } } as KubeObject;
    admitStorageProtection('pods', pod);
    expect(pod.metadata.finalizers).toBeUndefined();
  });
});
