import { FakeClientset } from '@keelson/client';
import { makePod } from '../testing';
import { FactoryInformerSource } from './client-informers';
import { ownedOrOrphans, type Lister } from './informer';
import type { Pod } from '../types';

describe('FactoryInformerSource', () => {
  it('serves list/get and the controller index from the client informers', async () => {
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs', namespace: 'a', uid: 'rs-uid' },
    };
    const client = new FakeClientset({
      objects: [
        makePod('mine', { ns: 'a', owner }),
        makePod('orphan', { ns: 'a' }),
        makePod('other-ns', { ns: 'b', owner }),
        makePod('foreign', { ns: 'a', owner: { ...owner, metadata: { ...owner.metadata, uid: 'x' } } }),
      ],
    });
    const src = new FactoryInformerSource(client);
    const inf = src.informer<Pod>('pods');
    const seen: string[] = [];
    inf.addEventHandler({ onAdd: (p) => seen.push(p.metadata.name!) });
    src.start();
    await src.waitForSync();
    const l: Lister<Pod> = inf.lister();
    expect(
      l
        .list()
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['foreign', 'mine', 'orphan', 'other-ns']);
    expect(
      l
        .list('a')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['foreign', 'mine', 'orphan']);
    expect(l.get('b', 'other-ns')?.metadata.name).toBe('other-ns');
    expect(
      ownedOrOrphans(l, 'a', 'rs-uid')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['mine', 'orphan']);
    expect(seen.sort()).toEqual(['foreign', 'mine', 'orphan', 'other-ns']);
    src.stop();
  });
});
