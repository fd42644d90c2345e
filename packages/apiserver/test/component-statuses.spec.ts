// componentstatuses as kube-apiserver serves them: probes of healthz URLs (one up, one answering
// 500, one refusing connections) and of the storage, over REST, gRPC-neutral handler and kubectl.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KUBECTL, startTestServer, type TestServer } from './helpers';

async function listen(
  handler: (code: { value: number }) => Server,
): Promise<{ server: Server; port: number; code: { value: number } }> {
  const code = { value: 200 };
  const server = handler(code);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, code };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('componentstatuses', () => {
  let t: TestServer;
  let healthy: Awaited<ReturnType<typeof listen>>;
  let deadPort: number;

  beforeAll(async () => {
    healthy = await listen((code) =>
      createServer((_req, res) => {
        res.statusCode = code.value;
        res.end(code.value === 200 ? 'ok' : '[-]informer-sync failed: reason withheld\nhealthz check failed');
      }),
    );
    deadPort = await closedPort();
    t = await startTestServer({
      componentStatusProbes: {
        scheduler: `http://127.0.0.1:${healthy.port}/healthz`,
        'controller-manager': `http://127.0.0.1:${deadPort}/healthz`,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((r) => healthy?.server.close(() => r()));
  });

  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${t.server.url}${path}`, init);
    return { code: res.status, warning: res.headers.get('warning'), json: (await res.json()) as any };
  };

  it('lists every component with its probe result and the deprecation warning', async () => {
    healthy.code.value = 200;
    const r = await get('/api/v1/componentstatuses');
    expect(r.code).toBe(200);
    expect(r.warning).toBe('299 - "v1 ComponentStatus is deprecated in v1.19+"');
    expect(r.json).toMatchObject({ kind: 'ComponentStatusList', apiVersion: 'v1' });
    const byName = Object.fromEntries(r.json.items.map((i: any) => [i.metadata.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['controller-manager', 'etcd-0', 'scheduler']);
    expect(byName.scheduler).toMatchObject({
      kind: 'ComponentStatus',
      apiVersion: 'v1',
      conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }],
    });
    expect(byName['etcd-0'].conditions).toEqual([{ type: 'Healthy', status: 'True', message: 'ok' }]);
    expect(byName['controller-manager'].conditions).toEqual([
      {
        type: 'Healthy',
        status: 'False',
        message: `Get "http://127.0.0.1:${deadPort}/healthz": dial tcp 127.0.0.1:${deadPort}: connect: connection refused`,
      },
    ]);
  });

  it('reports a component whose healthz fails as unhealthy', async () => {
    healthy.code.value = 500;
    const r = await get('/api/v1/componentstatuses/scheduler');
    expect(r.code).toBe(200);
    expect(r.json.conditions).toEqual([
      { type: 'Healthy', status: 'False', message: 'HTTP probe failed with statuscode: 500' },
    ]);
    healthy.code.value = 200;
    expect((await get('/api/v1/componentstatuses/scheduler')).json.conditions[0].status).toBe('True');
  });

  it('is read-only: unknown names are 404, writes and watches 405', async () => {
    expect((await get('/api/v1/componentstatuses/nope')).code).toBe(404);
    const post = await get('/api/v1/componentstatuses', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ComponentStatus', metadata: { name: 'x' } }),
    });
    expect(post).toMatchObject({ code: 405, json: { kind: 'Status', reason: 'MethodNotAllowed' } });
    expect((await get('/api/v1/componentstatuses/scheduler', { method: 'DELETE' })).code).toBe(405);
    expect((await fetch(`${t.server.url}/api/v1/componentstatuses?watch=true`)).status).toBe(405);
  });

  it('is discovered with verbs get and list', async () => {
    const d = (await get('/api/v1')).json;
    expect(d.resources.find((r: any) => r.name === 'componentstatuses')).toMatchObject({
      namespaced: false,
      kind: 'ComponentStatus',
      shortNames: ['cs'],
      verbs: ['get', 'list'],
    });
  });

  it('counts the requests in apiserver_request_total', async () => {
    expect((await fetch(`${t.server.url}/api/v1/no-such-things`)).status).toBe(404);
    const text = await (await fetch(`${t.server.url}/metrics`)).text();
    expect(text).not.toContain('no-such-things');
    expect(text).toMatch(
      /^apiserver_request_total\{verb="GET",group="",version="",resource="",subresource="",scope="",component="apiserver",code="404"\} \d+$/m,
    );
    expect(text).toMatch(
      /^apiserver_request_total\{verb="LIST",group="",version="v1",resource="componentstatuses",subresource="",scope="cluster",component="apiserver",code="200"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^apiserver_request_duration_seconds_count\{verb="GET",.*resource="componentstatuses".*\} \d+$/m,
    );
    expect(text).toMatch(/^process_cpu_seconds_total \S+$/m);
  });

  (existsSync(KUBECTL) ? it : it.skip)('prints as kubectl get componentstatuses does upstream', async () => {
    const r = await t.kubectl(['get', 'componentstatuses']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: v1 ComponentStatus is deprecated in v1.19+');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+MESSAGE\s+ERROR$/);
    expect(lines.find((l) => l.startsWith('scheduler '))).toMatch(/^scheduler\s+Healthy\s+ok\s*$/);
    expect(lines.find((l) => l.startsWith('etcd-0 '))).toMatch(/^etcd-0\s+Healthy\s+ok\s*$/);
    expect(lines.find((l) => l.startsWith('controller-manager '))).toMatch(
      /^controller-manager\s+Unhealthy\s+Get "http:\/\/127\.0\.0\.1:\d+\/healthz": dial tcp .*connection refused/,
    );
    const one = await t.kubectl(['get', 'cs', 'scheduler', '-o', 'jsonpath={.conditions[0].status}']);
    expect(one.stdout).toBe('True');
  });
});
