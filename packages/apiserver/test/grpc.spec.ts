// gRPC ApiServer round trip: CRUD, list with selectors and pagination, the Watch stream,
// subresources, and errors carrying the Status in `keelson-status-bin`.
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  ApiServerClient,
  ListOptions,
  type WatchEvent,
} from '@keelson/api/generated/keelson/apiserver/v1/apiserver';
import { startApiServer, type RunningApiServer } from '../src';

let server: RunningApiServer;
let client: ApiServerClient;

beforeAll(async () => {
  server = await startApiServer({ storage: 'memory', compactionIntervalMs: 0 });
  client = new ApiServerClient(server.grpcAddress, credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

const pods = (namespace = 'default', name = '', subresource = '') => ({
  group: '',
  version: 'v1',
  resource: 'pods',
  namespace,
  name,
  subresource,
});
const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});
const enc = (o: unknown) => Buffer.from(JSON.stringify(o));
const dec = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString());

function call<Req, Res>(
  fn: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

function statusOf(err: ServiceError): { code: number; reason: string; message: string } {
  const raw = (err.metadata as Metadata).get('keelson-status-bin')[0] as Buffer;
  return JSON.parse(raw.toString());
}

it('reports the version', async () => {
  const r = await call(client.version, {});
  expect(dec(r.info)).toMatchObject({ major: '1', minor: '32' });
});

it('creates, gets, updates, patches and deletes', async () => {
  const created = dec(
    (await call(client.create, { ref: pods(), object: enc(pod('g1', { app: 'a' })), options: undefined }))
      .object,
  );
  expect(created.metadata.uid).toBeTruthy();
  expect(created.status.phase).toBe('Pending');
  const got = dec((await call(client.get, { ref: pods('default', 'g1'), resourceVersion: '' })).object);
  expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  got.metadata.labels.app = 'b';
  const updated = dec(
    (await call(client.update, { ref: pods('default', 'g1'), object: enc(got), options: undefined })).object,
  );
  expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(got.metadata.resourceVersion));
  const patched = dec(
    (
      await call(client.patch, {
        ref: pods('default', 'g1'),
        patchType: 'application/merge-patch+json',
        patch: enc({ metadata: { annotations: { x: 'y' } } }),
        options: undefined,
        force: false,
      })
    ).object,
  );
  expect(patched.metadata.annotations).toEqual({ x: 'y' });
  expect(patched.metadata.labels).toEqual({ app: 'b' });
  // unscheduled pods are deleted at once
  const del = dec(
    (await call(client.delete, { ref: pods('default', 'g1'), options: Buffer.alloc(0) })).object,
  );
  expect(del.metadata.name).toBe('g1');
  await expect(call(client.get, { ref: pods('default', 'g1'), resourceVersion: '' })).rejects.toMatchObject({
    code: status.NOT_FOUND,
  });
});

it('maps errors to gRPC codes with the Status in keelson-status-bin', async () => {
  await call(client.create, { ref: pods(), object: enc(pod('dup')), options: undefined });
  const dup = await call(client.create, { ref: pods(), object: enc(pod('dup')), options: undefined }).catch(
    (e) => e,
  );
  expect(dup.code).toBe(status.ALREADY_EXISTS);
  expect(statusOf(dup)).toMatchObject({
    code: 409,
    reason: 'AlreadyExists',
    message: 'pods "dup" already exists',
  });

  const cur = dec((await call(client.get, { ref: pods('default', 'dup'), resourceVersion: '' })).object);
  await call(client.patch, {
    ref: pods('default', 'dup'),
    patchType: 'application/merge-patch+json',
    patch: enc({ metadata: { labels: { v: '1' } } }),
    options: undefined,
    force: false,
  });
  const stale = await call(client.update, {
    ref: pods('default', 'dup'),
    object: enc(cur),
    options: undefined,
  }).catch((e) => e);
  expect(stale.code).toBe(status.ABORTED);
  expect(statusOf(stale).reason).toBe('Conflict');

  const invalid = await call(client.create, {
    ref: pods(),
    object: enc({ metadata: { name: 'Bad_Name' }, spec: { containers: [] } }),
    options: undefined,
  }).catch((e) => e);
  expect(invalid.code).toBe(status.INVALID_ARGUMENT);
  expect(statusOf(invalid)).toMatchObject({ code: 422, reason: 'Invalid' });

  const unknown = await call(client.list, {
    ref: { group: 'nope', version: 'v1', resource: 'things', namespace: '', name: '', subresource: '' },
    options: undefined,
  }).catch((e) => e);
  expect(unknown.code).toBe(status.NOT_FOUND);

  const big = await call(client.create, {
    ref: pods(),
    object: Buffer.alloc(3 * 1024 * 1024 + 10, 32),
    options: undefined,
  }).catch((e) => e);
  expect(big.code).toBe(status.RESOURCE_EXHAUSTED);
  expect(statusOf(big).code).toBe(413);
});

it('sends unknown-field warnings as trailing metadata', async () => {
  const trailers: Metadata = await new Promise((resolve, reject) => {
    const c = client.create(
      {
        ref: {
          group: '',
          version: 'v1',
          resource: 'configmaps',
          namespace: 'default',
          name: '',
          subresource: '',
        },
        object: enc({ metadata: { name: 'warn' }, extra: 1 }),
        options: undefined,
      },
      (err) => err && reject(err),
    );
    c.on('status', (st) => resolve(st.metadata));
  });
  expect(trailers.get('warning')).toEqual(['unknown field "extra"']);
});

it('lists with selectors and limit/continue at one revision', async () => {
  for (let i = 0; i < 5; i++)
    await call(client.create, {
      ref: pods('kube-system'),
      object: enc(pod(`l${i}`, { idx: String(i), grp: i % 2 ? 'odd' : 'even' })),
      options: undefined,
    });
  const all = dec((await call(client.list, { ref: pods('kube-system'), options: undefined })).list);
  expect(all.kind).toBe('PodList');
  expect(all.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
    'l0',
    'l1',
    'l2',
    'l3',
    'l4',
  ]);
  const odd = dec(
    (
      await call(client.list, {
        ref: pods('kube-system'),
        options: ListOptions.fromPartial({ labelSelector: 'grp=odd' }),
      })
    ).list,
  );
  expect(odd.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['l1', 'l3']);
  const page1 = dec(
    (await call(client.list, { ref: pods('kube-system'), options: ListOptions.fromPartial({ limit: 2 }) }))
      .list,
  );
  expect(page1.items).toHaveLength(2);
  expect(page1.metadata.remainingItemCount).toBe(3);
  // a write between pages does not show up in the continued list (snapshot at page1's revision)
  await call(client.create, { ref: pods('kube-system'), object: enc(pod('l5')), options: undefined });
  const page2 = dec(
    (
      await call(client.list, {
        ref: pods('kube-system'),
        options: ListOptions.fromPartial({ limit: 10, continue: page1.metadata.continue }),
      })
    ).list,
  );
  expect(page2.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['l2', 'l3', 'l4']);
  expect(page2.metadata.resourceVersion).toBe(page1.metadata.resourceVersion);
  expect(page2.metadata.continue).toBeUndefined();
});

it('streams watch events from a resourceVersion, with bookmarks', async () => {
  const start = dec((await call(client.list, { ref: pods('kube-public'), options: undefined })).list).metadata
    .resourceVersion;
  const events: Array<{ type: string; obj: { metadata: { name?: string; resourceVersion: string } } }> = [];
  const stream = client.watch({
    ref: pods('kube-public'),
    options: ListOptions.fromPartial({ resourceVersion: start, allowWatchBookmarks: true }),
  });
  stream.on('data', (e: WatchEvent) => events.push({ type: e.type, obj: dec(e.object) }));
  stream.on('error', () => undefined);
  await call(client.create, { ref: pods('kube-public'), object: enc(pod('w1')), options: undefined });
  await call(client.patch, {
    ref: pods('kube-public', 'w1'),
    patchType: 'application/merge-patch+json',
    patch: enc({ metadata: { labels: { a: 'b' } } }),
    options: undefined,
    force: false,
  });
  await call(client.delete, { ref: pods('kube-public', 'w1'), options: Buffer.alloc(0) });
  const deadline = Date.now() + 5000;
  while (events.filter((e) => e.type !== 'BOOKMARK').length < 3 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  server.watchCache.bookmarkNow();
  while (!events.some((e) => e.type === 'BOOKMARK') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  stream.cancel();
  const real = events.filter((e) => e.type !== 'BOOKMARK');
  expect(real.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  expect(real.every((e) => e.obj.metadata.name === 'w1')).toBe(true);
  const rvs = real.map((e) => Number(e.obj.metadata.resourceVersion));
  expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  const bm = events.find((e) => e.type === 'BOOKMARK')!;
  expect(Number(bm.obj.metadata.resourceVersion)).toBeGreaterThanOrEqual(rvs[2]);
});

it('answers a watch from a future resourceVersion with an error status', async () => {
  const stream = client.watch({
    ref: pods(),
    options: ListOptions.fromPartial({ resourceVersion: '999999999' }),
  });
  const err: ServiceError = await new Promise((resolve) => {
    stream.on('error', resolve);
    stream.on('data', () => undefined);
  });
  expect(err.code).toBe(status.DEADLINE_EXCEEDED);
  expect(statusOf(err).code).toBe(504);
});

it('binds pods to nodes once (pods/binding)', async () => {
  await call(client.create, { ref: pods(), object: enc(pod('b1')), options: undefined });
  const binding = {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'b1' },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
  };
  await call(client.create, {
    ref: pods('default', 'b1', 'binding'),
    object: enc(binding),
    options: undefined,
  });
  const bound = dec((await call(client.get, { ref: pods('default', 'b1'), resourceVersion: '' })).object);
  expect(bound.spec.nodeName).toBe('node-a');
  expect(bound.status.conditions).toEqual([
    expect.objectContaining({ type: 'PodScheduled', status: 'True' }),
  ]);
  const again = await call(client.create, {
    ref: pods('default', 'b1', 'binding'),
    object: enc({ ...binding, target: { name: 'node-b' } }),
    options: undefined,
  }).catch((e) => e);
  expect(again.code).toBe(status.ABORTED);
  expect(statusOf(again).message).toContain('is already assigned to node "node-a"');
});
