import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serveHealth, type HealthServer } from '@keelson/client';
import { ClusterPaths } from '../paths';
import type { ClusterState } from '../state';
import { probeComponents } from './status';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('probeComponents', () => {
  const dir = mkdtempSync(join(tmpdir(), `kst-${process.pid}-`));
  const paths = new ClusterPaths(dir);
  let ok: HealthServer;
  let notReady: HealthServer;
  let socket: NetServer;
  let dead: number;

  beforeAll(async () => {
    ok = await serveHealth({ port: 0 });
    notReady = await serveHealth({
      port: 0,
      checks: [
        {
          name: 'syncloop',
          check: () => {
            throw new Error('stuck');
          },
        },
      ],
    });
    mkdirSync(dirname(paths.criSocket('n1')), { recursive: true });
    socket = createNetServer();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.listen(paths.criSocket('n1'), () => resolve());
    });
    dead = await closedPort();
  });
  afterAll(async () => {
    await ok.close();
    await notReady.close();
    await new Promise((r) => socket.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const state = (): ClusterState => ({
    id: 'x',
    dataDir: dir,
    supervisorPid: process.pid,
    apiserver: { url: ok.url, grpcAddress: '127.0.0.1:1' },
    dnsAddress: '127.0.0.1',
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    proxyMode: 'nftables',
    nodes: [{ name: 'n1', ip: '127.0.0.1', podCIDR: '10.244.1.0/24', bridge: 'b', pid: 4242 }],
    startedAt: new Date().toISOString(),
    endpoints: [
      { name: 'scheduler', healthUrl: ok.url },
      { name: 'controller-manager', healthUrl: `http://127.0.0.1:${dead}` },
      { name: 'kubelet', node: 'n1', healthUrl: notReady.url },
      { name: 'runtime', node: 'n1', healthUrl: `unix://${paths.criSocket('n1')}` },
      { name: 'proxy', node: 'n1', healthUrl: ok.url, pid: 777 },
    ],
  });

  it('reports health from /healthz, the version from /version, and the pid of the owning process', async () => {
    const nodes = [
      { metadata: { name: 'n1' }, status: { nodeInfo: { containerRuntimeVersion: 'keelson://0.1.0' } } },
    ];
    const r = await probeComponents(state(), paths, nodes);
    const by = (name: string) => r.find((c) => c.endpoint.name === name)!;
    expect(by('scheduler')).toMatchObject({ healthy: true, version: 'v1.32.0-keelson', pid: process.pid });
    expect(by('controller-manager')).toMatchObject({ healthy: false, reason: 'ECONNREFUSED' });
    expect(by('kubelet')).toMatchObject({ healthy: false, pid: 4242 });
    expect(by('kubelet').reason).toContain('healthz 500: [+]ping ok [-]syncloop failed');
    expect(by('runtime')).toMatchObject({ healthy: true, version: 'keelson://0.1.0' });
    expect(by('proxy')).toMatchObject({ healthy: true, pid: 777 });
  });

  it('computes the endpoints of nodes added after up', async () => {
    const s = state();
    s.nodes.push({ name: 'n2', ip: '127.0.0.1', podCIDR: '10.244.2.0/24', bridge: 'b' });
    const r = await probeComponents(s, paths, []);
    expect(r.filter((c) => c.endpoint.node === 'n2').map((c) => c.endpoint.name)).toEqual([
      'kubelet',
      'proxy',
      'runtime',
    ]);
  });
});
