import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, WatchEvent } from '@keelson/api';
import {
  createClientset,
  clientsetFromKubeconfig,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  ApiError,
  type Clientset,
} from '../src';
import { startFakeApiServer, type FakeApiServer } from './helpers/fake-apiserver';

const pod = (name: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns1' },
    spec: { containers: [] },
  }) as KubeObject;

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('gRPC Clientset against an in-process ApiServer', () => {
  let srv: FakeApiServer;
  let cs: Clientset;
  beforeAll(async () => {
    srv = await startFakeApiServer();
    cs = createClientset({ grpcAddress: srv.address, token: 'sekret', timeoutMs: 5000 });
  });
  afterAll(async () => {
    cs.close();
    await srv.stop();
  });

  it('CRUD round-trips Kubernetes JSON and sends the bearer token', async () => {
    const pods = cs.resource('pods');
    const created = await pods.create(pod('a'));
    expect(created.metadata.uid).toBeTruthy();
    expect(srv.lastAuthorization).toBe('Bearer sekret');
    const got = await pods.get('ns1', 'a');
    expect(got).toEqual(created);
    const list = await pods.list('ns1');
    expect(list.items.map((p) => p.metadata.name)).toEqual(['a']);
    expect(list.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const patched = await pods.patch('ns1', 'a', 'merge', { metadata: { labels: { x: 'y' } } });
    expect(patched.metadata.labels).toEqual({ x: 'y' });
    const st = await pods.patch(
      'ns1',
      'a',
      'json',
      [{ op: 'add', path: '/status/phase', value: 'Running' }],
      { subresource: 'status' },
    );
    expect((st as { status?: { phase?: string } }).status?.phase).toBe('Running');
    await pods.createSubresource('ns1', 'a', 'binding', { target: { name: 'n1' } });
    expect(((await pods.get('ns1', 'a')) as { spec?: { nodeName?: string } }).spec?.nodeName).toBe('n1');
    expect(await cs.version()).toMatchObject({ major: '1' });
    const del = await pods.delete('ns1', 'a', { gracePeriodSeconds: 0 });
    expect(del).toMatchObject({ kind: 'Pod', metadata: { name: 'a' } });
    expect(srv.fake.actions.map((a) => a.verb)).toEqual([
      'create',
      'get',
      'list',
      'patch',
      'patch',
      'create',
      'get',
      'delete',
    ]);
  });

  it('translates keelson-status-bin into ApiError', async () => {
    const pods = cs.resource('pods');
    const nf = await pods.get('ns1', 'missing').catch((e) => e);
    expect(nf).toBeInstanceOf(ApiError);
    expect(isNotFound(nf)).toBe(true);
    expect(nf.message).toBe('pods "missing" not found');
    const c = await pods.create(pod('b'));
    expect(isAlreadyExists(await pods.create(pod('b')).catch((e) => e))).toBe(true);
    await pods.update({ ...c, metadata: { ...c.metadata, labels: { v: '1' } } });
    expect(
      isConflict(
        await pods.update({ ...c, metadata: { ...c.metadata, labels: { v: '2' } } }).catch((e) => e),
      ),
    ).toBe(true);
  });

  it('watch streams events in order and stop() closes without error', async () => {
    const pods = cs.resource('pods');
    const rv = (await pods.list('ns1')).metadata.resourceVersion;
    const events: WatchEvent[] = [];
    const closed: Array<Error | undefined> = [];
    const h = pods.watch(
      'ns1',
      { resourceVersion: rv },
      { onEvent: (e) => events.push(e), onClose: (e) => closed.push(e) },
    );
    await until(() => srv.fake.watchCount('pods') === 1);
    await pods.create(pod('w'));
    await pods.patch('ns1', 'w', 'merge', { metadata: { annotations: { a: 'b' } } });
    await pods.delete('ns1', 'w');
    await until(() => events.length === 3);
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual([
      'ADDED:w',
      'MODIFIED:w',
      'DELETED:w',
    ]);
    h.stop();
    await until(() => closed.length === 1);
    expect(closed).toEqual([undefined]);
    await until(() => srv.fake.watchCount('pods') === 0);
  });

  it('a watch from a compacted resourceVersion ends with 410 Expired', async () => {
    srv.fake.compact();
    const closed: Array<Error | undefined> = [];
    cs.resource('pods').watch(
      'ns1',
      { resourceVersion: '1' },
      { onEvent: () => {}, onClose: (e) => closed.push(e) },
    );
    await until(() => closed.length === 1);
    expect(isGone(closed[0])).toBe(true);
  });

  it('unreachable server fails with 503 ServiceUnavailable', async () => {
    const dead = createClientset({ grpcAddress: '127.0.0.1:1', timeoutMs: 2000 });
    const err = await dead
      .resource('pods')
      .get('ns1', 'x')
      .catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([503, 504]).toContain(err.code);
    dead.close();
  });

  it('clientsetFromKubeconfig uses the keelson.dev/grpc extension', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    try {
      const path = join(dir, 'config');
      writeFileSync(
        path,
        `apiVersion: v1
kind: Config
current-context: k
contexts: [{ name: k, context: { cluster: c, user: u } }]
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    extensions:
    - name: keelson.dev/grpc
      extension: { server: "${srv.address}" }
users: [{ name: u, user: { token: from-kubeconfig } }]
`,
      );
      const kc = clientsetFromKubeconfig(path);
      await kc.resource('nodes').create({ metadata: { name: 'n1' } });
      expect(srv.lastAuthorization).toBe('Bearer from-kubeconfig');
      kc.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gRPC Clientset transport failures', () => {
  it('an informer survives an apiserver restart: reconnects and resumes from the last resourceVersion', async () => {
    const fake = new (await import('../src')).FakeClientset();
    let srv = await startFakeApiServer(fake);
    const port = Number(srv.address.split(':')[1]);
    const cs = createClientset({ grpcAddress: srv.address, timeoutMs: 2000 });
    const { SharedInformer } = await import('../src');
    const inf = new SharedInformer(cs.resource('configmaps'), { onError: () => {} });
    const seen: string[] = [];
    inf.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onDelete: () => seen.push('delete'),
    });
    try {
      await fake.resource('configmaps').create({ metadata: { name: 'before', namespace: 'ns1' } });
      inf.run();
      expect(await inf.whenSynced()).toBe(true);
      await until(() => fake.watchCount('configmaps') === 1);
      await srv.stop();
      await until(() => fake.watchCount('configmaps') === 0);
      await fake.resource('configmaps').create({ metadata: { name: 'during', namespace: 'ns1' } });
      srv = await startFakeApiServer(fake, port);
      await until(() => seen.includes('add during'), 15_000);
      await fake.resource('configmaps').create({ metadata: { name: 'after', namespace: 'ns1' } });
      await until(() => seen.includes('add after'), 5000);
      expect(seen).toEqual(['add before', 'add during', 'add after']);
      expect(inf.stats.lists).toBe(1);
      const watches = fake.actions
        .filter((a) => a.verb === 'watch')
        .map((a) => a.listOptions?.resourceVersion);
      // the first watch and the resumed one both start at the list's resourceVersion: nothing was
      // seen in between, and "during" (rv 2) is replayed from there
      expect(watches).toEqual(['1', '1']);
    } finally {
      inf.stop();
      cs.close();
      await srv.stop();
    }
  });

  it('fills apiVersion/kind into list items and watch objects that come without them', async () => {
    const { Server, ServerCredentials } = await import('@grpc/grpc-js');
    const { ApiServerService } = await import('@keelson/api/generated/keelson/apiserver/v1/apiserver');
    const server = new Server();
    const bare = { metadata: { name: 'd', namespace: 'ns1', resourceVersion: '3' } };
    server.addService(ApiServerService, {
      list: (_call: unknown, cb: (e: null, r: unknown) => void) =>
        cb(null, {
          list: Buffer.from(
            JSON.stringify({
              kind: 'DeploymentList',
              apiVersion: 'apps/v1',
              metadata: { resourceVersion: '3' },
              items: [bare],
            }),
          ),
        }),
      watch: (call: { write(x: unknown): void; end(): void }) => {
        call.write({ type: 'ADDED', object: Buffer.from(JSON.stringify(bare)) });
        call.end();
      },
    } as never);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const cs = createClientset({ grpcAddress: `127.0.0.1:${port}` });
    try {
      const list = await cs.resource('deployments').list('ns1');
      expect(list.items[0]).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      const ev = await new Promise<WatchEvent>((resolve) =>
        cs.resource('deployments').watch('ns1', { resourceVersion: '3' }, { onEvent: resolve }),
      );
      expect(ev.object).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    } finally {
      cs.close();
      server.forceShutdown();
    }
  });

  it('an ERROR watch event closes the watch with its Status as ApiError', async () => {
    const { Server, ServerCredentials } = await import('@grpc/grpc-js');
    const { ApiServerService } = await import('@keelson/api/generated/keelson/apiserver/v1/apiserver');
    const server = new Server();
    server.addService(ApiServerService, {
      watch: (call: { write(x: unknown): void }) => {
        call.write({
          type: 'ERROR',
          object: Buffer.from(
            JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old' }),
          ),
        });
      },
    } as never);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const cs = createClientset({ grpcAddress: `127.0.0.1:${port}` });
    try {
      const err = await new Promise<Error | undefined>((resolve) =>
        cs.resource('pods').watch('ns1', { resourceVersion: '5' }, { onEvent: () => {}, onClose: resolve }),
      );
      expect(err).toBeInstanceOf(ApiError);
      expect(isGone(err)).toBe(true);
      expect(err!.message).toBe('too old');
    } finally {
      cs.close();
      server.forceShutdown();
    }
  });
});
