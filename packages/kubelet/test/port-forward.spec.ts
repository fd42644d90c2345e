// `kubectl port-forward` (the real kubectl) through an in-process apiserver to the kubelet, whose
// CRI PortForward answers the real keelson-cri streaming server. The runtime is the kubelet's
// fake, so the pod is "host network": the streaming server connects to 127.0.0.1:<port>, and the
// pod's port is a loopback HTTP server of this test. Needs no root. Also drives the kubelet
// directly with a SPDY client (spdy-transport) and the WebSocket channel framing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Namespace, Pod } from '@keelson/api';
import { startApiServer, type RunningApiServer } from '@keelson/apiserver';
import { createClientset, type Clientset } from '@keelson/client';
import { StreamingServer } from '@keelson/cri-runtime';
import { FakeCriRuntime } from '../src/cri/fake-runtime';
import { startKubelet, type KubeletHandle } from '../src/kubelet';
import { connectSpdy } from '../src/server/spdy';
import { makePod } from '../src/testing/builders';
import { waitFor } from '../src/testing/wait';
import { silentLogger } from '../src/util/log';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);

let dir: string;
let api: RunningApiServer;
let cs: Clientset;
let cri: FakeCriRuntime;
let streaming: StreamingServer;
let kubelet: KubeletHandle;
let web: Server;
let webPort: number;
let closedPort: number;
const big = Buffer.alloc(1 << 20, 'x'); // 1 MiB: more than any SPDY flow-control window

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kt-portfwd-'));
  web = createServer((req, res) => {
    if (req.url === '/big') return void res.end(big);
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => res.end(`hello from the pod ${req.method} ${req.url} ${body}`));
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  webPort = (web.address() as AddressInfo).port;
  closedPort = await freePort();
  api = await startApiServer({
    storage: 'memory',
    bindAddress: '127.0.0.1',
    kubeconfigOut: join(dir, 'kubeconfig'),
    compactionIntervalMs: 0,
  });
  cs = createClientset({ grpcAddress: api.grpcAddress });
  await cs
    .resource<Namespace>('namespaces')
    .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })
    .catch(() => undefined);
  // the real runtime streaming server, on a runtime stub whose sandboxes share the host network
  streaming = new StreamingServer({ portForwardTarget: () => undefined } as never);
  await streaming.listen('127.0.0.1:0');
  cri = new FakeCriRuntime();
  cri.sandboxIp = '127.0.0.1';
  cri.images.add('busybox:1.36');
  cri.setPortForwardHandler((id, ports) =>
    streaming.register({
      kind: 'portforward',
      containerId: id,
      ports,
      cmd: [],
      tty: false,
      stdin: true,
      stdout: true,
      stderr: false,
    }),
  );
  kubelet = await startKubelet(
    {
      nodeName: 'n1',
      runtime: cri,
      rootDir: join(dir, 'kubelet'),
      nodeIp: '127.0.0.1',
      port: 0,
      address: '127.0.0.1',
      disableCni: true,
      relistMs: 50,
      logger: silentLogger,
    },
    cs,
  );
  const pod = makePod('web', [
    { name: 'c', image: 'busybox:1.36' },
    { name: 'side', image: 'busybox:1.36' },
  ]);
  await cs.resource<Pod>('pods').create({ ...pod, spec: { ...pod.spec!, nodeName: 'n1' } });
  await waitFor(
    'pod Running',
    async () => (await cs.resource<Pod>('pods').get('default', 'web')).status?.phase === 'Running',
    15000,
  );
}, 30000);

afterAll(async () => {
  await kubelet?.stop();
  cs?.close();
  await api?.close();
  await streaming?.close?.();
  web?.closeAllConnections();
  await new Promise((r) => (web ? web.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** GET (or POST) through a fresh TCP connection (no keep-alive). */
function httpGet(port: number, path = '/', body?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Forwarder {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `kubectl port-forward pod/web 0:<remote>` and waits for its "Forwarding from" line. */
async function startForward(remote: number, env: Record<string, string> = {}): Promise<Forwarder> {
  const proc = spawn(
    KUBECTL,
    [
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      'port-forward',
      'pod/web',
      `:${remote}`,
      '--address',
      '127.0.0.1',
    ],
    { env: { ...process.env, HOME: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      process.kill(proc.pid!, 'SIGTERM');
      await exited;
    }
  };
  try {
    const port = await waitFor(
      'kubectl Forwarding from',
      () => {
        if (proc.exitCode !== null) throw new Error(`kubectl exited ${proc.exitCode}: ${err}`);
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
        return m ? Number(m[1]) : undefined;
      },
      15000,
    );
    return { proc, port, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

const describeKubectl = haveKubectl ? describe : describe.skip;
if (!haveKubectl) console.log(`skipped: kubectl port-forward: ${KUBECTL} not installed`);

describeKubectl('kubectl port-forward (real kubectl, fake runtime)', () => {
  for (const [name, env] of [
    ['SPDY over WebSocket (default)', {}],
    [
      'SPDY/3.1 upgrade (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)',
      { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' },
    ],
  ] as const) {
    it(`${name}: forwards sequential and concurrent connections and a 1 MiB body`, async () => {
      const f = await startForward(webPort, env);
      try {
        const a = await httpGet(f.port, '/first');
        expect(a.body.toString()).toBe('hello from the pod GET /first ');
        const b = await httpGet(f.port, '/second', 'payload');
        expect(b.body.toString()).toBe('hello from the pod POST /second payload');
        const c = await httpGet(f.port, '/big');
        expect(c.body.length).toBe(big.length);
        expect(c.body.equals(big)).toBe(true);
        // concurrent connections
        const many = await Promise.all([1, 2, 3, 4].map((i) => httpGet(f.port, `/p${i}`)));
        expect(many.map((r) => r.body.toString())).toEqual(
          [1, 2, 3, 4].map((i) => `hello from the pod GET /p${i} `),
        );
        expect(f.proc.exitCode).toBeNull();
      } finally {
        await f.stop();
      }
    }, 60000);
  }

  it('reports a port with nothing listening as upstream: the error line, then "lost connection to pod"', async () => {
    const f = await startForward(closedPort);
    try {
      // the local connection is accepted, then closed when the pod side refuses
      await new Promise<void>((resolve) => {
        const s: Socket = connect(f.port, '127.0.0.1');
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.resume();
      });
      // kubectl ≥ 1.31 (client-go portforward.go) closes the whole session after a remote error
      await waitFor('kubectl exit', () => f.proc.exitCode !== null, 10000);
      expect(f.proc.exitCode).toBe(1);
      expect(f.stderr()).toMatch(
        new RegExp(
          `an error occurred forwarding ${f.port} -> ${closedPort}: error forwarding port ${closedPort} to pod default/web, uid [-0-9a-f]+: connect ECONNREFUSED`,
        ),
      );
      expect(f.stderr()).toMatch(/error: lost connection to pod/);
    } finally {
      await f.stop();
    }
    // the kubelet is unharmed: a new forward works
    const g = await startForward(webPort);
    try {
      expect((await httpGet(g.port, '/again')).body.toString()).toBe('hello from the pod GET /again ');
    } finally {
      await g.stop();
    }
  }, 30000);
});

describe('kubelet /portForward without kubectl', () => {
  it('answers 400 to a plain GET and 404 for an unknown pod', async () => {
    const base = `http://127.0.0.1:${kubelet.port}`;
    const r = await fetch(`${base}/portForward/default/web`);
    expect(r.status).toBe(400);
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${kubelet.port}/portForward/default/nope?port=80`);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.on('open', () => reject(new Error('opened')));
        ws.on('error', reject);
      }),
    ).resolves.toBe(404);
  });

  it('serves a SPDY/3.1 client (spdy-transport): data and error streams per request id', async () => {
    const sock = connect(kubelet.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      'POST /portForward/default/web HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
    );
    const head = await new Promise<string>((resolve) => {
      let acc = '';
      const onData = (d: Buffer) => {
        acc += d.toString('latin1');
        const i = acc.indexOf('\r\n\r\n');
        if (i >= 0) {
          sock.off('data', onData);
          sock.pause();
          const rest = Buffer.from(acc.slice(i + 4), 'latin1');
          if (rest.length) sock.unshift(rest);
          resolve(acc.slice(0, i));
        }
      };
      sock.on('data', onData);
    });
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    expect(head).toMatch(/X-Stream-Protocol-Version: portforward\.k8s\.io/i);
    const conn = connectSpdy(sock);
    conn.on('error', () => undefined);
    const open = (headers: Record<string, string>) =>
      new Promise<import('spdy-transport').SpdyStream>((resolve, reject) => {
        conn.request({ method: 'POST', path: '/', headers }, (err, s) => (err ? reject(err) : resolve(s)));
      });
    const collect = (s: import('node:stream').Readable) =>
      new Promise<string>((resolve) => {
        let acc = '';
        s.on('data', (d: Buffer) => (acc += d.toString()));
        s.on('end', () => resolve(acc));
        s.on('error', () => resolve(acc));
      });
    // request 7 → the web server
    const err1 = await open({ streamtype: 'error', port: String(webPort), requestid: '7' });
    err1.end();
    const errText1 = collect(err1);
    const data1 = await open({ streamtype: 'data', port: String(webPort), requestid: '7' });
    const body1 = collect(data1);
    data1.write('GET /spdy HTTP/1.0\r\n\r\n');
    expect(await body1).toMatch(/hello from the pod GET \/spdy $/);
    expect(await errText1).toBe('');
    // request 8 → nothing listening
    const err2 = await open({ streamtype: 'error', port: String(closedPort), requestid: '8' });
    err2.end();
    const errText2 = collect(err2);
    const data2 = await open({ streamtype: 'data', port: String(closedPort), requestid: '8' });
    data2.resume();
    expect(await errText2).toMatch(
      new RegExp(`^error forwarding port ${closedPort} to pod default/web, uid [-0-9a-f]+: .*ECONNREFUSED`),
    );
    expect(cri.calls).toContain(`portForward ${[...cri.sandboxes.keys()][0]} ${webPort}`);
    sock.destroy();
  });

  it('serves the WebSocket channel framing (port= upstream, ports= client-node)', async () => {
    for (const q of [`port=${webPort}`, `ports=${webPort}`]) {
      const ws = new WebSocket(`ws://127.0.0.1:${kubelet.port}/portForward/default/web?${q}`, [
        'v4.channel.k8s.io',
      ]);
      const frames: Buffer[] = [];
      ws.on('message', (d: Buffer) => frames.push(d));
      await new Promise((r) => ws.once('open', r));
      expect(ws.protocol).toBe('v4.channel.k8s.io');
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /ws HTTP/1.0\r\n\r\n')]));
      await new Promise((r) => ws.once('close', r));
      const port = Buffer.alloc(2);
      port.writeUInt16LE(webPort);
      expect(frames[0]).toEqual(Buffer.concat([Buffer.from([0]), port]));
      expect(frames[1]).toEqual(Buffer.concat([Buffer.from([1]), port]));
      const data = Buffer.concat(
        frames
          .slice(2)
          .filter((f) => f[0] === 0)
          .map((f) => f.subarray(1)),
      );
      expect(data.toString()).toMatch(/hello from the pod GET \/ws $/);
      expect(frames.slice(2).some((f) => f[0] === 1)).toBe(false);
    }
  });
});
