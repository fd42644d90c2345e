// The same API behaviour on every Storage backend: the embedded MvccStore (LevelDB), a RemoteStore
// talking gRPC to a keelson-store server, and a real etcd 3.4 (Debian's `etcd`, started here on
// loopback with unique ports and a temp dir).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore, startStoreServer, type StoreServer } from '@keelson/store';
import type { KubeObject } from '@keelson/api';
import { ApiError, startApiServer, type RunningApiServer } from '../src';
import { waitFor } from './helpers';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const cm = (namespace = 'default', name = '') => ({
  group: '',
  version: 'v1',
  resource: 'configmaps',
  namespace,
  name,
});

/** Behaviour every backend must show. */
function behaves(
  name: string,
  open: () => Promise<{ server: RunningApiServer; cleanup: () => Promise<void> }>,
) {
  describe(name, () => {
    let server: RunningApiServer;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ server, cleanup } = await open());
    }, 30000);
    afterAll(async () => {
      await cleanup?.();
    });

    it('creates, conflicts, lists with pagination and watches', async () => {
      const h = server.handler;
      const a = (await h.create(cm(), { metadata: { name: 'a' }, data: { v: '1' } })).object as KubeObject;
      expect(Number(a.metadata.resourceVersion)).toBeGreaterThan(0);
      await expect(h.create(cm(), { metadata: { name: 'a' } })).rejects.toMatchObject({
        status: { code: 409, reason: 'AlreadyExists' },
      });
      const b = (await h.update(cm('default', 'a'), { ...a, data: { v: '2' } })).object as KubeObject;
      await expect(h.update(cm('default', 'a'), { ...a, data: { v: '3' } })).rejects.toMatchObject({
        status: { code: 409, reason: 'Conflict' },
      });
      expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
      for (const n of ['b', 'c', 'd']) await h.create(cm(), { metadata: { name: n } });
      const p1 = await h.list(cm(), { limit: 2 });
      expect(p1.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
      const p2 = await h.list(cm(), { limit: 2, continue: p1.metadata.continue });
      expect(p2.items.map((i) => i.metadata.name)).toEqual(['c', 'd']);
      const events: string[] = [];
      const stop = await h.watch(
        cm(),
        { resourceVersion: p1.metadata.resourceVersion },
        {
          event: (type, obj) => events.push(`${type} ${obj.metadata.name}`),
          end: () => undefined,
        },
      );
      await h.delete(cm('default', 'b'));
      await h.patch(cm('default', 'c'), 'application/merge-patch+json', Buffer.from('{"data":{"x":"y"}}'));
      await waitFor(() => events.length >= 2, 10000, 'watch events');
      stop();
      expect(events).toEqual(['DELETED b', 'MODIFIED c']);
      const got = (await h.get(cm('default', 'c'))) as KubeObject & { data: Record<string, string> };
      expect(got.data).toEqual({ x: 'y' });
    });

    it('answers 410 Expired for a continue token older than the compaction', async () => {
      const h = server.handler;
      const page = await h.list(cm(), { limit: 1 });
      await h.create(cm(), { metadata: { name: 'later' } });
      await server.storage.compact(await server.storage.currentRevision());
      const err = await h.list(cm(), { limit: 1, continue: page.metadata.continue }).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err.status).toMatchObject({ code: 410, reason: 'Expired' });
    });

    it('bootstraps the system namespaces', async () => {
      const ns = await server.handler.list({ group: '', version: 'v1', resource: 'namespaces' });
      expect(ns.items.map((i) => i.metadata.name)).toEqual(
        expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']),
      );
    });
  });
}

behaves('embedded MvccStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), `kas-embedded-${process.pid}-`));
  const server = await startApiServer({ storage: `embedded:${dir}`, compactionIntervalMs: 0 });
  return {
    server,
    cleanup: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

it('embedded MvccStore: objects survive an apiserver restart on the same directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), `kas-restart-${process.pid}-`));
  try {
    const first = await startApiServer({ storage: `embedded:${dir}`, compactionIntervalMs: 0 });
    const created = (await first.handler.create(cm(), { metadata: { name: 'kept' }, data: { a: 'b' } }))
      .object as KubeObject;
    await first.close();
    const second = await startApiServer({ storage: `embedded:${dir}`, compactionIntervalMs: 0 });
    try {
      const got = (await second.handler.get(cm('default', 'kept'))) as KubeObject & {
        data: Record<string, string>;
      };
      expect(got.metadata.uid).toBe(created.metadata.uid);
      expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      expect(got.data).toEqual({ a: 'b' });
      const svc = (await second.handler.get({
        group: '',
        version: 'v1',
        resource: 'services',
        namespace: 'default',
        name: 'kubernetes',
      })) as any;
      expect(svc.spec.clusterIP).toBe('10.96.0.1');
      expect(svc.spec.ports[0].targetPort).toBe(second.restPort);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

behaves('RemoteStore to a keelson-store server', async () => {
  const dir = mkdtempSync(join(tmpdir(), `kas-remote-${process.pid}-`));
  const kv = await MvccStore.open(dir);
  const store: StoreServer = await startStoreServer(kv, '127.0.0.1:0');
  const server = await startApiServer({ storage: `store:127.0.0.1:${store.port}`, compactionIntervalMs: 0 });
  return {
    server,
    cleanup: async () => {
      await server.close();
      await store.close();
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const ETCD = '/usr/bin/etcd';
(existsSync(ETCD) ? behaves : (n: string) => describe.skip(n, () => it('needs etcd', () => undefined)))(
  'etcd 3.4 through etcd3',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), `kas-etcd-${process.pid}-`));
    const client = await freePort();
    const peer = await freePort();
    const url = `http://127.0.0.1:${client}`;
    const etcd: ChildProcess = spawn(
      ETCD,
      [
        '--name',
        `kas-${process.pid}`,
        '--data-dir',
        dir,
        '--listen-client-urls',
        url,
        '--advertise-client-urls',
        url,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `kas-${process.pid}=http://127.0.0.1:${peer}`,
      ],
      { stdio: 'ignore' },
    );
    const kill = () => {
      if (etcd.exitCode === null) etcd.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitFor(
        async () =>
          await fetch(`${url}/health`)
            .then((r) => r.ok)
            .catch(() => false),
        15000,
        'etcd health',
      );
      const server = await startApiServer({ storage: `etcd:${url}`, compactionIntervalMs: 0 });
      return {
        server,
        cleanup: async () => {
          await server.close();
          kill();
        },
      };
    } catch (err) {
      kill();
      throw err;
    }
  },
);
