/**
 * Integration: the client against the real @keelson/apiserver (in-memory storage) over gRPC,
 * connecting through the kubeconfig the apiserver writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Event, KubeObject, Lease } from '@keelson/api';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import {
  ApiError,
  EventRecorder,
  InformerFactory,
  LeaderElector,
  clientsetFromKubeconfig,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  type Clientset,
} from '../src';

async function until<T>(fn: () => T | Promise<T>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

describe('client against the real apiserver', () => {
  let server: RunningApiServer;
  let cs: Clientset;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `kc-client-${process.pid}-`));
    server = await startApiServer({
      storage: 'memory',
      compactionIntervalMs: 0,
      kubeconfigOut: join(dir, 'kubeconfig'),
      watchCacheSize: 20,
    });
    cs = clientsetFromKubeconfig(join(dir, 'kubeconfig'), { timeoutMs: 5000 });
  });
  afterAll(async () => {
    cs?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CRUD and error translation', async () => {
    const cms = cs.resource<ConfigMap>('configmaps');
    const a = await cms.create(cm('a', { k: 'v' }));
    expect(a.metadata.uid).toBeTruthy();
    expect((await cms.get('default', 'a')).data).toEqual({ k: 'v' });
    const nf = await cms.get('default', 'nope').catch((e) => e);
    expect(nf).toBeInstanceOf(ApiError);
    expect(isNotFound(nf)).toBe(true);
    expect(isAlreadyExists(await cms.create(cm('a')).catch((e) => e))).toBe(true);
    const a2 = await cms.update({ ...a, data: { k: 'v2' } });
    expect(isConflict(await cms.update({ ...a, data: { k: 'v3' } }).catch((e) => e))).toBe(true);
    const p = await cms.patch('default', 'a', 'merge', { data: { x: 'y' } });
    expect(p.data).toEqual({ k: 'v2', x: 'y' });
    expect(Number(p.metadata.resourceVersion)).toBeGreaterThan(Number(a2.metadata.resourceVersion));
    await cms.delete('default', 'a');
    expect(isNotFound(await cms.get('default', 'a').catch((e) => e))).toBe(true);
    expect((await cs.version()).major).toBeTruthy();
  });

  it('an informer syncs and follows changes', async () => {
    const f = new InformerFactory(cs, { namespace: 'default' });
    const inf = f.informerFor<ConfigMap>('configmaps', { labelSelector: 'suite=informer' });
    const seen: string[] = [];
    inf.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onUpdate: (o, n) =>
        o.metadata.resourceVersion !== n.metadata.resourceVersion && seen.push(`update ${n.metadata.name}`),
      onDelete: (o) => seen.push(`delete ${'key' in o ? o.key : o.metadata.name}`),
    });
    const cms = cs.resource<ConfigMap>('configmaps');
    await cms.create({
      ...cm('i1'),
      metadata: { name: 'i1', namespace: 'default', labels: { suite: 'informer' } },
    });
    f.start();
    expect(await f.waitForCacheSync()).toBe(true);
    await cms.create({
      ...cm('i2'),
      metadata: { name: 'i2', namespace: 'default', labels: { suite: 'informer' } },
    });
    await cms.create(cm('unlabelled'));
    await cms.patch('default', 'i1', 'merge', { data: { a: 'b' } });
    await cms.delete('default', 'i2');
    await until(() => seen.length >= 4, 'informer events');
    expect(seen).toEqual(['add i1', 'add i2', 'update i1', 'delete i2']);
    expect(
      inf
        .lister()
        .list()
        .map((o) => o.metadata.name),
    ).toEqual(['i1']);
    // list items come without TypeMeta from the server; the client fills it in
    await cms.create({
      metadata: { name: 'bare', namespace: 'default', labels: { suite: 'bare' } },
    } as ConfigMap);
    const listed = await cms.list('default', { labelSelector: 'suite=bare' });
    expect(listed.items[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'bare' },
    });
    f.shutdown();
  });

  it('a watch from a resourceVersion older than the watch cache ends with 410', async () => {
    const cms = cs.resource<ConfigMap>('configmaps');
    const first = await cms.create(cm('old'));
    for (let i = 0; i < 30; i++) await cms.patch('default', 'old', 'merge', { data: { i: String(i) } });
    const closed = await new Promise<Error | undefined>((resolve) => {
      cms.watch(
        'default',
        { resourceVersion: first.metadata.resourceVersion },
        { onEvent: () => {}, onClose: resolve },
      );
    });
    expect(isGone(closed)).toBe(true);
  });

  it('leader election takes the Lease; events aggregate', async () => {
    const started: string[] = [];
    const le = new LeaderElector({
      clientset: cs,
      namespace: 'default',
      name: 'client-test',
      identity: 'me',
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 500,
      callbacks: {
        onStartedLeading: () => started.push('me'),
        onStoppedLeading: () => started.push('stopped'),
      },
    });
    const done = le.run();
    await until(() => le.isLeader(), 'leadership');
    const lease = await cs.resource<Lease>('leases', 'coordination.k8s.io/v1').get('default', 'client-test');
    expect(lease.spec?.holderIdentity).toBe('me');
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
    le.stop();
    await done;
    expect(started).toEqual(['me', 'stopped']);
    const released = await cs
      .resource<Lease>('leases', 'coordination.k8s.io/v1')
      .get('default', 'client-test');
    expect(released.spec?.holderIdentity ?? '').toBe('');

    const errors: unknown[] = [];
    const rec = new EventRecorder(cs, { component: 'client-test', onError: (e) => errors.push(e) });
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ev', namespace: 'default', uid: 'u' },
    };
    rec.event(obj, 'Normal', 'Tested', 'hello');
    rec.event(obj, 'Normal', 'Tested', 'hello');
    await rec.flush();
    expect(errors).toEqual([]);
    const evs = (await cs.resource<Event>('events').list('default')).items.filter(
      (e) => e.reason === 'Tested',
    );
    expect(evs).toHaveLength(1);
    expect(evs[0]!.count).toBe(2);
  });
});
