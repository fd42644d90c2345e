import type { KubeObject } from '@keelson/api';
import { FakeClock } from '../clock';
import { ApiError, newGone } from '../errors';
import { FakeClientset } from '../fake';
import { InformerFactory } from './informer-factory';
import { DeletedFinalStateUnknown, SharedInformer, waitForCacheSync } from './shared-informer';
import { NAMESPACE_INDEX } from './indexer';

type Pod = KubeObject & { spec?: { nodeName?: string } };
const pod = (name: string, ns = 'ns1', nodeName?: string, labels?: Record<string, string>): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { nodeName },
});

/** Lets queued microtasks and immediates (fake watch delivery, reflector loop) run. */
async function settle(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    handler: {
      onAdd: (o: Pod, initial: boolean) => log.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`),
      onUpdate: (a: Pod, b: Pod) =>
        log.push(`update ${b.metadata.name} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
      onDelete: (o: Pod | DeletedFinalStateUnknown<Pod>) =>
        log.push(
          o instanceof DeletedFinalStateUnknown ? `delete-tombstone ${o.key}` : `delete ${o.metadata.name}`,
        ),
    },
  };
}

function setup(objects: KubeObject[] = []) {
  const clock = new FakeClock(1_000_000);
  const cs = new FakeClientset({ objects, now: () => clock.now() });
  const errors: string[] = [];
  const inf = new SharedInformer<Pod>(cs.resource<Pod>('pods'), {
    clock,
    onError: (e, ctx) => errors.push(`${ctx}: ${(e as Error).message}`),
  });
  return { clock, cs, inf, errors };
}

describe('SharedInformer against FakeClientset', () => {
  it('lists, then watches from the list resourceVersion; handlers and lister see every change', async () => {
    const { cs, inf } = setup([pod('a', 'ns1', 'n1'), pod('b', 'ns2', 'n2')]);
    const r = recorder();
    inf.addEventHandler(r.handler);
    inf.addIndexer('byNode', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    inf.run();
    expect(await waitForCacheSync(inf)).toBe(true);
    expect(inf.hasSynced()).toBe(true);
    expect(r.log.sort()).toEqual(['add a (initial)', 'add b (initial)']);
    await settle();
    expect(cs.actions.map((a) => [a.verb, a.listOptions?.resourceVersion])).toEqual([
      ['list', undefined],
      ['watch', '2'],
    ]);
    r.log.length = 0;
    const pods = cs.resource('pods');
    await pods.create(pod('c', 'ns1', 'n1', { app: 'web' }));
    await pods.patch('ns1', 'a', 'merge', { metadata: { labels: { app: 'web' } } });
    await pods.delete('ns2', 'b', { gracePeriodSeconds: 0 });
    await settle();
    expect(r.log).toEqual(['add c', 'update a 1->4', 'delete b']);
    const lister = inf.lister();
    expect(lister.list().map((p) => p.metadata.name)).toEqual(['a', 'c']);
    expect(lister.list('app=web').map((p) => p.metadata.name)).toEqual(['a', 'c']);
    expect(lister.list({ matchLabels: { app: 'none' } })).toEqual([]);
    expect(lister.get('ns1', 'c')?.metadata.resourceVersion).toBe('3');
    expect(lister.get('ns2', 'b')).toBeUndefined();
    expect(lister.byIndex('byNode', 'n1').map((p) => p.metadata.name)).toEqual(['a', 'c']);
    expect(lister.byIndex(NAMESPACE_INDEX, 'ns1').map((p) => p.metadata.name)).toEqual(['a', 'c']);
    expect(lister.namespace('ns1').get('a')?.metadata.name).toBe('a');
    expect(inf.lastSyncResourceVersion()).toBe('5');
    inf.stop();
    await settle();
    expect(cs.watchCount()).toBe(0);
  });

  it('resumes from the last seen resourceVersion after a broken stream, with backoff, without relisting', async () => {
    const { clock, cs, inf, errors } = setup([pod('a')]);
    const r = recorder();
    inf.addEventHandler(r.handler);
    inf.run();
    await waitForCacheSync(inf);
    await settle();
    await cs.resource('pods').create(pod('b'));
    await settle();
    cs.clearActions();
    r.log.length = 0;
    cs.breakWatches('pods');
    await settle();
    expect(errors).toEqual(['pods watch: watch stream closed by the fake']);
    // changes while disconnected
    await cs.resource('pods').create(pod('c'));
    await cs.resource('pods').delete('ns1', 'a');
    await settle();
    expect(cs.watchCount('pods')).toBe(0);
    clock.step(799);
    await settle();
    expect(cs.watchCount('pods')).toBe(0);
    clock.step(1);
    await settle();
    expect(cs.watchCount('pods')).toBe(1);
    expect(
      cs.actions
        .filter((a) => a.resource === 'pods' && a.verb !== 'create' && a.verb !== 'delete')
        .map((a) => [a.verb, a.listOptions?.resourceVersion]),
    ).toEqual([['watch', '2']]);
    expect(r.log).toEqual(['add c', 'delete a']);
    expect(inf.stats.lists).toBe(1);
    inf.stop();
  });

  it('backs off exponentially across repeated failures', async () => {
    const { clock, cs, inf } = setup();
    let failures = 3;
    cs.prependReactor('list', 'pods', () =>
      failures-- > 0
        ? { error: new ApiError({ code: 503, reason: 'ServiceUnavailable', message: 'down' }) }
        : undefined,
    );
    inf.run();
    await settle();
    const listsAt = () => cs.actions.filter((a) => a.verb === 'list').length;
    expect(listsAt()).toBe(1);
    clock.step(800);
    await settle();
    expect(listsAt()).toBe(2);
    clock.step(1599);
    await settle();
    expect(listsAt()).toBe(2);
    clock.step(1);
    await settle();
    expect(listsAt()).toBe(3);
    clock.step(3200);
    await settle();
    expect(listsAt()).toBe(4);
    expect(inf.hasSynced()).toBe(true);
    inf.stop();
  });

  it('relists on 410 Gone injected by a reactor; vanished objects arrive as tombstones', async () => {
    const { clock, cs, inf } = setup([pod('a'), pod('b')]);
    const r = recorder();
    inf.addEventHandler(r.handler);
    inf.run();
    await waitForCacheSync(inf);
    await settle();
    let gone = true;
    cs.prependReactor('watch', 'pods', () =>
      gone ? ((gone = false), { error: newGone('too old resource version: 2 (3)') }) : undefined,
    );
    cs.breakWatches('pods');
    await cs.resource('pods').delete('ns1', 'a');
    await cs.resource('pods').create(pod('c'));
    await settle();
    r.log.length = 0;
    cs.clearActions();
    clock.step(800); // resume attempt → 410 → immediate relist → watch
    await settle(10);
    expect(cs.actions.map((a) => a.verb)).toEqual(['watch', 'list', 'watch']);
    expect(cs.actions[2]!.listOptions?.resourceVersion).toBe('4');
    expect(r.log).toEqual(['update b 2->2', 'add c', 'delete-tombstone ns1/a']);
    expect(inf.stats.relistsOnGone).toBe(1);
    inf.stop();
  });

  it('relists when the watch resourceVersion was compacted away', async () => {
    const { clock, cs, inf } = setup([pod('a')]);
    inf.run();
    await waitForCacheSync(inf);
    await settle();
    cs.breakWatches('pods');
    await cs.resource('pods').create(pod('b'));
    cs.compact();
    await settle();
    clock.step(800);
    await settle(10);
    expect(inf.stats.relistsOnGone).toBe(1);
    expect(inf.stats.lists).toBe(2);
    expect(
      inf
        .lister()
        .list()
        .map((p) => p.metadata.name),
    ).toEqual(['a', 'b']);
    inf.stop();
  });

  it('late handlers get the cache as adds; resync re-delivers updates on the clock', async () => {
    const { clock, inf } = setup([pod('a')]);
    inf.run();
    await waitForCacheSync(inf);
    const r = recorder();
    const reg = inf.addEventHandler(r.handler, 30_000);
    expect(reg.hasSynced()).toBe(true);
    expect(r.log).toEqual(['add a (initial)']);
    clock.step(30_000);
    expect(r.log).toEqual(['add a (initial)', 'update a 1->1']);
    reg.remove();
    clock.step(30_000);
    expect(r.log).toHaveLength(2);
    inf.stop();
  });

  it('a throwing handler does not starve the others', async () => {
    const { inf, errors } = setup([pod('a')]);
    const r = recorder();
    inf.addEventHandler({
      onAdd: () => {
        throw new Error('boom');
      },
    });
    inf.addEventHandler(r.handler);
    inf.run();
    await waitForCacheSync(inf);
    expect(r.log).toEqual(['add a (initial)']);
    expect(errors).toEqual(['pods handler onAdd: boom']);
    inf.stop();
  });

  it('a watch call that throws is retried with backoff, not fatal', async () => {
    const { clock, cs, inf, errors } = setup([pod('a')]);
    let throws = 1;
    cs.prependReactor('watch', 'pods', () => {
      if (throws-- > 0) throw new Error('channel closed');
      return undefined;
    });
    inf.run();
    await waitForCacheSync(inf);
    await settle();
    expect(errors).toEqual(['pods watch: channel closed']);
    expect(cs.watchCount('pods')).toBe(0);
    clock.step(800);
    await settle();
    expect(cs.watchCount('pods')).toBe(1);
    inf.stop();
  });

  it('transform is applied before caching and delivery', async () => {
    const clock = new FakeClock(0);
    const cs = new FakeClientset({
      objects: [
        { ...pod('a'), metadata: { name: 'a', namespace: 'ns1', managedFields: [{ manager: 'x' }] } },
      ],
    });
    const inf = new SharedInformer<Pod>(cs.resource<Pod>('pods'), {
      clock,
      transform: (o) => {
        const { managedFields: _drop, ...metadata } = o.metadata;
        return { ...o, metadata };
      },
    });
    const seen: Pod[] = [];
    inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_a, b) => seen.push(b) });
    inf.run();
    await waitForCacheSync(inf);
    await cs.resource('pods').patch('ns1', 'a', 'merge', { metadata: { labels: { x: 'y' } } });
    await settle();
    expect(seen).toHaveLength(2);
    expect(seen.every((o) => o.metadata.managedFields === undefined)).toBe(true);
    expect(inf.lister().get('ns1', 'a')!.metadata.managedFields).toBeUndefined();
    inf.stop();
  });

  it('waitForCacheSync resolves false when an informer stops before syncing', async () => {
    const { cs, inf } = setup();
    cs.prependReactor('list', 'pods', () => ({ error: new ApiError({ code: 500 }) }));
    inf.run();
    const p = waitForCacheSync(inf);
    inf.stop();
    expect(await p).toBe(false);
  });
});

describe('InformerFactory', () => {
  it('shares one informer per resource, namespace and selectors', async () => {
    const cs = new FakeClientset({ objects: [pod('a', 'ns1'), pod('b', 'ns2')] });
    const f = new InformerFactory(cs, { namespace: 'ns1' });
    const i1 = f.informerFor('pods');
    expect(f.informerFor('Pod')).toBe(i1);
    expect(f.informerFor('pods', { labelSelector: 'x=y' })).not.toBe(i1);
    const nodes = f.informerFor('nodes');
    f.start();
    expect(await f.waitForCacheSync()).toBe(true);
    expect(
      f
        .lister('pods')
        .list()
        .map((p) => p.metadata.name),
    ).toEqual(['a']);
    expect(nodes.hasSynced()).toBe(true);
    expect(
      cs.actions
        .filter((a) => a.verb === 'list')
        .map((a) => [a.resource, a.namespace ?? '', a.listOptions?.labelSelector ?? '']),
    ).toEqual([
      ['pods', 'ns1', ''],
      ['pods', 'ns1', 'x=y'],
      ['nodes', '', ''],
    ]);
    f.shutdown();
  });
});
