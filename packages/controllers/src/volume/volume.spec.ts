import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@keelson/api';
import { harness, type TestHarness } from '../testing';
import { findBestMatch } from './matching';
import { LocalPathProvisioner, localPathStorageClass } from './local-path-provisioner';
import { PersistentVolumeController } from './pv-controller';

const RES = ['persistentvolumeclaims', 'persistentvolumes', 'storageclasses', 'nodes', 'pods'];

function claim(
  name: string,
  spec: PersistentVolumeClaim['spec'] = {},
  ann?: Record<string, string>,
): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(ann ? { annotations: ann } : {}) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
    status: { phase: 'Pending' },
  };
}
function volume(
  name: string,
  size: string,
  spec: PersistentVolume['spec'] = {},
  labels?: Record<string, string>,
): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      hostPath: { path: `/srv/${name}` },
      persistentVolumeReclaimPolicy: 'Retain',
      ...spec,
    },
    status: { phase: 'Available' },
  };
}
const pvc = (h: TestHarness, name: string) =>
  h.client.peek<PersistentVolumeClaim>('persistentvolumeclaims', 'default', name)!;
const pv = (h: TestHarness, name: string) =>
  h.client.peek<PersistentVolume>('persistentvolumes', undefined, name);

/** Runs every queued key of the controllers until the queues are empty (bounded). */
async function drain(h: TestHarness, ...cs: (PersistentVolumeController | LocalPathProvisioner)[]) {
  for (let round = 0; round < 20; round++) {
    h.refresh(...RES);
    let did = false;
    for (const c of cs) {
      while (c.queue.len() > 0) {
        const k = await c.queue.get();
        if (k === undefined) break;
        did = true;
        await c.processKey(k);
        c.queue.done(k);
        h.refresh(...RES);
      }
    }
    if (!did) return;
  }
}

describe('findBestMatch', () => {
  it('takes the smallest volume that fits class, modes, size and selector; pre-bound wins', () => {
    const c = claim('data', { selector: { matchLabels: { tier: 'db' } } });
    const vols = [
      volume('small', '500Mi', {}, { tier: 'db' }),
      volume('big', '10Gi', {}, { tier: 'db' }),
      volume('mid', '2Gi', {}, { tier: 'db' }),
      volume('mid-other', '1Gi', {}, { tier: 'web' }),
      volume('rox', '1Gi', { accessModes: ['ReadOnlyMany'] }, { tier: 'db' }),
      volume('classy', '1Gi', { storageClassName: 'fast' }, { tier: 'db' }),
    ];
    expect(findBestMatch(c, vols)?.metadata.name).toBe('mid');
    const pre = volume('pre', '5Gi', { claimRef: { namespace: 'default', name: 'data' } }, { tier: 'db' });
    expect(findBestMatch(c, [...vols, pre])?.metadata.name).toBe('pre');
    const other = volume(
      'taken',
      '1Gi',
      { claimRef: { namespace: 'default', name: 'x', uid: 'u' } },
      { tier: 'db' },
    );
    expect(findBestMatch(c, [other])).toBeUndefined();
  });

  it('respects node affinity for the selected node', () => {
    const onN2 = volume('n2', '1Gi', {
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] },
          ],
        },
      },
    });
    const node = (n: string) => ({ metadata: { name: n, labels: { 'kubernetes.io/hostname': n } } });
    expect(findBestMatch(claim('c'), [onN2], node('n1'))).toBeUndefined();
    expect(findBestMatch(claim('c'), [onN2], node('n2'))?.metadata.name).toBe('n2');
  });
});

describe('PersistentVolumeController', () => {
  it('binds a claim to a static volume (claimRef, volumeName, both Bound) and releases it on claim deletion', async () => {
    const h = harness();
    h.seed('persistentvolumes', volume('pv-a', '5Gi'));
    h.seed('persistentvolumeclaims', claim('data', { storageClassName: '' }));
    const c = new PersistentVolumeController(h.ctx);
    await drain(h, c);
    expect(pvc(h, 'data').spec!.volumeName).toBe('pv-a');
    expect(pvc(h, 'data').status).toMatchObject({
      phase: 'Bound',
      capacity: { storage: '5Gi' },
      accessModes: ['ReadWriteOnce'],
    });
    expect(pv(h, 'pv-a')!.spec!.claimRef).toMatchObject({
      namespace: 'default',
      name: 'data',
      uid: 'uid-data',
    });
    expect(pv(h, 'pv-a')!.status!.phase).toBe('Bound');

    await h.client.resource('persistentvolumeclaims').delete('default', 'data');
    h.refresh(...RES);
    c.queue.add('volume:pv-a');
    await drain(h, c);
    expect(pv(h, 'pv-a')!.status!.phase).toBe('Released'); // Retain keeps it
  });

  it('reclaim policy Delete removes a released hand-made volume', async () => {
    const h = harness();
    h.seed('persistentvolumes', {
      ...volume('pv-d', '1Gi', {
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: { namespace: 'default', name: 'gone', uid: 'old' },
      }),
      status: { phase: 'Bound' },
    } as PersistentVolume);
    const c = new PersistentVolumeController(h.ctx);
    await drain(h, c);
    expect(pv(h, 'pv-d')).toBeUndefined();
  });

  it('a WaitForFirstConsumer claim waits for selected-node, then is annotated for its provisioner', async () => {
    const h = harness();
    h.seed('storageclasses', localPathStorageClass());
    h.seed('persistentvolumeclaims', claim('data', { storageClassName: 'local-path' }));
    const c = new PersistentVolumeController(h.ctx);
    await drain(h, c);
    expect(pvc(h, 'data').metadata.annotations?.['volume.kubernetes.io/storage-provisioner']).toBeUndefined();
    expect(await h.events.lines()).toContain(
      'WaitForFirstConsumer waiting for first consumer to be created before binding',
    );
    const cur = pvc(h, 'data');
    await h.client.resource<PersistentVolumeClaim>('persistentvolumeclaims').update({
      ...cur,
      metadata: { ...cur.metadata, annotations: { 'volume.kubernetes.io/selected-node': 'n1' } },
    });
    await drain(h, c);
    expect(pvc(h, 'data').metadata.annotations).toMatchObject({
      'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
      'volume.beta.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
    });
    expect(pvc(h, 'data').spec!.volumeName).toBeUndefined();
  });
});

describe('LocalPathProvisioner', () => {
  it('creates the default class, provisions a hostPath volume on the selected node, and the binder binds it', async () => {
    const h = harness();
    h.seed('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
    });
    const binder = new PersistentVolumeController(h.ctx);
    const prov = new LocalPathProvisioner(h.ctx, { storageDir: '/data/{node}/storage' });
    prov.queue.add('class');
    await drain(h, binder, prov);
    const sc = h.client.peek<StorageClass>('storageclasses', undefined, 'local-path')!;
    expect(sc).toMatchObject({
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    });

    h.seed(
      'persistentvolumeclaims',
      claim('data', { storageClassName: 'local-path' }, { 'volume.kubernetes.io/selected-node': 'n1' }),
    );
    await drain(h, binder, prov);
    const name = 'pvc-uid-data';
    const vol = pv(h, name)!;
    expect(vol.spec).toMatchObject({
      hostPath: { path: `/data/n1/storage/${name}_default_data`, type: 'DirectoryOrCreate' },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      capacity: { storage: '1Gi' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] },
          ],
        },
      },
    });
    expect(vol.metadata.annotations?.['pv.kubernetes.io/provisioned-by']).toBe('rancher.io/local-path');
    expect(pvc(h, 'data').spec!.volumeName).toBe(name);
    expect(pvc(h, 'data').status!.phase).toBe('Bound');
    expect(vol.status!.phase).toBe('Bound');
    expect(await h.events.lines()).toContain(`ProvisioningSucceeded Successfully provisioned volume ${name}`);

    // Claim deleted: Released → helper pod removes the directory → volume deleted.
    await h.client.resource('persistentvolumeclaims').delete('default', 'data');
    binder.queue.add(`volume:${name}`);
    await drain(h, binder, prov);
    expect(pv(h, name)!.status!.phase).toBe('Released');
    const helper = h.client.peek<Pod>('pods', 'kube-system', `helper-pod-delete-${name}`)!;
    expect(helper.spec).toMatchObject({
      nodeName: 'n1',
      containers: [{ command: ['rm', '-rf', `/data/${name}_default_data`] }],
      volumes: [{ hostPath: { path: '/data/n1/storage' } }],
    });
    await h.client.resource<Pod>('pods').updateStatus({ ...helper, status: { phase: 'Succeeded' } });
    prov.queue.add(`volume:${name}`);
    await drain(h, binder, prov);
    expect(pv(h, name)).toBeUndefined();
    expect(h.client.peek('pods', 'kube-system', `helper-pod-delete-${name}`)).toBeUndefined();
  });
});
