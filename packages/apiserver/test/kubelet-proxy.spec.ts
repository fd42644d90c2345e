// pods/log and pods/exec proxied to a (fake) kubelet: the apiserver finds the node's InternalIP
// and kubelet port, streams /containerLogs, and pipes the WebSocket upgrade of /exec. Driven by
// the real kubectl (logs, exec over WebSocket v5.channel.k8s.io) and by a raw ws client.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startTestServer, waitFor, type TestServer } from './helpers';

let t: TestServer;
let kubelet: Server;
const seen: string[] = [];

beforeAll(async () => {
  t = await startTestServer();
  kubelet = createServer((req, res) => {
    seen.push(req.url!);
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/?]+)/.exec(req.url!);
    if (!m) {
      res.writeHead(404).end('not found');
      return;
    }
    const url = new URL(req.url!, 'http://x');
    if (url.searchParams.get('previous') === 'true') {
      // What the kubelet answers for a container that has not run before.
      res
        .writeHead(400, { 'Content-Type': 'text/plain' })
        .end(`previous terminated container "${m[3]}" in pod "${m[2]}" not found`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write(`log of ${m[1]}/${m[2]}/${m[3]} tail=${url.searchParams.get('tailLines') ?? ''}\n`);
    if (url.searchParams.get('follow') === 'true') {
      res.write('line 2\n');
      setTimeout(() => res.end('line 3\n'), 100);
    } else res.end();
  });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (ps) => (ps.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : [...ps][0]),
  });
  kubelet.on('upgrade', (req, socket, head) => {
    seen.push(req.url!);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url!, 'http://x');
      const cmd = url.searchParams.getAll('command').join(' ');
      // channel 1 = stdout, channel 3 = error/status (remotecommand protocol)
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`ran: ${cmd}\n`)]));
      ws.send(
        Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }))]),
      );
      setTimeout(() => ws.close(1000), 50);
    });
  });
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', () => r()));
  const port = (kubelet.address() as AddressInfo).port;
  const h = t.server.handler;
  await h.create(
    { group: '', version: 'v1', resource: 'nodes' },
    {
      metadata: { name: 'node-1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
      },
    },
  );
  await h.create(
    { group: '', version: 'v1', resource: 'pods', namespace: 'default' },
    {
      metadata: { name: 'web' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'busybox' }] },
    },
  );
  await h.create(
    { group: '', version: 'v1', resource: 'pods', namespace: 'default' },
    {
      metadata: { name: 'pending' },
      spec: { containers: [{ name: 'app', image: 'busybox' }] },
    },
  );
});
afterAll(async () => {
  await t?.close();
  kubelet?.closeAllConnections();
  await new Promise((r) => kubelet?.close(r));
});

it('kubectl logs streams container logs from the kubelet', async () => {
  const r = await t.kubectl(['logs', 'web', '--tail=5']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('log of default/web/app tail=5\n');
  const f = await t.kubectl(['logs', '-f', 'web']);
  expect(f.stdout).toBe('log of default/web/app tail=\nline 2\nline 3\n');
  expect(seen).toContain('/containerLogs/default/web/app?follow=true');
});

it("turns the kubelet's text errors into a Status kubectl can print", async () => {
  const r = await t.kubectl(['logs', 'web', '--previous']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('previous terminated container "app" in pod "web" not found');
});

it('reports unscheduled pods and unknown containers as 400', async () => {
  const r = await t.kubectl(['logs', 'pending']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('does not have a host assigned');
  const c = await t.kubectl(['logs', 'web', '-c', 'nope']);
  expect(c.stderr).toContain('container nope is not valid for pod web');
});

it('kubectl exec goes through the WebSocket upgrade to the kubelet', async () => {
  const r = await t.kubectl(['exec', 'web', '--', 'echo', 'hi']);
  expect(r.stdout).toBe('ran: echo hi\n');
  expect(r.code).toBe(0);
  expect(
    seen.some(
      (u) => u.startsWith('/exec/default/web/app?') && u.includes('command=echo') && u.includes('command=hi'),
    ),
  ).toBe(true);
});

it('pipes raw WebSocket frames both ways', async () => {
  const url = `${t.server.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true&container=app`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io']);
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer) => frames.push(d));
  await new Promise((r) => ws.on('close', r));
  expect(ws.protocol).toBe('v5.channel.k8s.io');
  expect(frames[0][0]).toBe(1);
  expect(frames[0].subarray(1).toString()).toBe('ran: ls\n');
  await waitFor(() => frames.length >= 2);
});

it('proxies pods/portforward to /portForward/<ns>/<pod> without needing a container', async () => {
  await t.server.handler.create(
    { group: '', version: 'v1', resource: 'pods', namespace: 'default' },
    {
      metadata: { name: 'two' },
      spec: {
        nodeName: 'node-1',
        containers: [
          { name: 'a', image: 'busybox' },
          { name: 'b', image: 'busybox' },
        ],
      },
    },
  );
  const url = `${t.server.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/two/portforward?ports=8080`;
  const ws = new WebSocket(url, ['v4.channel.k8s.io']);
  await new Promise((r) => ws.on('close', r));
  expect(seen).toContain('/portForward/default/two?ports=8080');
  const missing = new WebSocket(
    `${t.server.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/nope/portforward?ports=1`,
  );
  const code = await new Promise((resolve) => {
    missing.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    missing.on('error', () => resolve(-1));
  });
  expect(code).toBe(404);
});
