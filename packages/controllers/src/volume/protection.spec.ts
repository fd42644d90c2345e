import type { PersistentVolume, PersistentVolumeClaim, Pod } from '@keelson/api';
import { harness } from '../testing';
import { PvProtectionController, PvcProtectionController } from './protection';

describe('pvc-protection / pv-protection', () => {
  it('a deleted claim stays Terminating while a running pod uses it', async () => {
    const h = harness();
    const claim: PersistentVolumeClaim = {
      metadata: { name: 'data', namespace: 'default', finalizers: ['kubernetes.io/pvc-protection'] },
      spec: {},
    };
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
      status: { phase: 'Running' },
    };
    h.seed('persistentvolumeclaims', claim);
    h.seed('pods', pod);
    const c = new PvcProtectionController(h.ctx);
    await h.client.resource('persistentvolumeclaims').delete('default', 'data');
    h.refresh('persistentvolumeclaims', 'pods');
    await c.sync('default/data');
    expect(
      h.client.peek('persistentvolumeclaims', 'default', 'data')?.metadata.deletionTimestamp,
    ).toBeDefined();
    await h.client.resource('pods').delete('default', 'p', { gracePeriodSeconds: 0 });
    h.refresh('persistentvolumeclaims', 'pods');
    await c.sync('default/data');
    expect(h.client.peek('persistentvolumeclaims', 'default', 'data')).toBeUndefined();
  });

  it('a deleted volume goes once it is no longer Bound', async () => {
    const h = harness();
    const pv: PersistentVolume = {
      metadata: { name: 'pv1', finalizers: ['kubernetes.io/pv-protection'] },
      spec: {},
      status: { phase: 'Bound' },
    };
    h.seed('persistentvolumes', pv);
    const c = new PvProtectionController(h.ctx);
    await h.client.resource('persistentvolumes').delete(undefined, 'pv1');
    h.refresh('persistentvolumes');
    await c.sync('pv1');
    const cur = h.client.peek<PersistentVolume>('persistentvolumes', undefined, 'pv1')!;
    expect(cur.metadata.deletionTimestamp).toBeDefined();
    await h.client
      .resource<PersistentVolume>('persistentvolumes')
      .updateStatus({ ...cur, status: { phase: 'Released' } });
    h.refresh('persistentvolumes');
    await c.sync('pv1');
    expect(h.client.peek('persistentvolumes', undefined, 'pv1')).toBeUndefined();
  });
});
